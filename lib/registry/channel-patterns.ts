import type { ChannelParams } from '../interfaces/channel-stream.interface.js';
import type { ChannelPattern } from '../channels/channel-pattern.js';
import { describeTarget, SocketApiDeclarationError, type HandlerTarget } from '../handlers/handler-target.js';

interface PatternEntry<H> {
  readonly pattern: ChannelPattern;
  readonly handler: H;
}

/**
 * The channels declared with parameters, by segment count: a concrete name is tried against the
 * patterns of its own length only. No two of them match the same name (checked as each is added), so
 * the first match is the only one.
 */
export class ChannelPatterns<H extends { readonly target: HandlerTarget }> {
  private readonly byLength = new Map<number, PatternEntry<H>[]>();

  /** Throws `SocketApiDeclarationError` naming both methods when a pattern already added can match a name `pattern` matches. */
  add(pattern: ChannelPattern, handler: H): void {
    const sameLength = this.byLength.get(pattern.segmentCount) ?? [];
    for (const existing of sameLength) {
      const witness = pattern.overlap(existing.pattern);
      if (witness === undefined) continue;
      throw new SocketApiDeclarationError(
        handler.target,
        `channel '${pattern.source}' and channel '${existing.pattern.source}' of ${describeTarget(existing.handler.target)} ` +
          `can both match '${witness}': make one of their literal segments differ.`,
      );
    }
    sameLength.push({ pattern, handler });
    this.byLength.set(pattern.segmentCount, sameLength);
  }

  match(name: string): { handler: H; params: ChannelParams } | undefined {
    // Apps without patterns do not pay for the split.
    if (this.byLength.size === 0) return undefined;
    const segments = name.split('/');
    const candidates = this.byLength.get(segments.length);
    if (!candidates) return undefined;
    for (const { pattern, handler } of candidates) {
      const params = pattern.match(segments);
      if (params) return { handler, params };
    }
    return undefined;
  }
}
