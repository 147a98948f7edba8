import type { ChannelParams } from '../interfaces/channel-stream.interface.js';

/** The parameters of a channel without any: one frozen object for every route of an exact channel. */
export const NO_PARAMS: ChannelParams = Object.freeze({});

/**
 * The longest value a parameter takes (characters). Concrete names come from clients and become map
 * keys, Redis keys and the `channel` of every frame: a room named with 64 KiB would cost that much in
 * each, per subscription.
 */
export const MAX_PARAM_LENGTH = 128;

/** `:name` in a declared channel name: one path segment, as in Nest's routes. */
const PARAM_SEGMENT = /^:([A-Za-z_][A-Za-z0-9_]*)$/;

/** A segment of a declared name: a literal, or the name of the parameter it stands for. */
type Segment = { readonly literal: string } | { readonly param: string };

/**
 * A declared channel name split on `/` (`rooms/:roomId`): matches concrete names of the same number of
 * segments, each `:param` taking one non-empty segment. A name without `:param` is matched exactly.
 */
export class ChannelPattern {
  /** The parameters' names, in order. Empty for an exact name. */
  readonly params: readonly string[];

  private constructor(
    readonly source: string,
    private readonly segments: readonly Segment[],
  ) {
    this.params = segments.flatMap((segment) => ('param' in segment ? [segment.param] : []));
  }

  /** Throws `TypeError` on a segment that starts with `:` and is not a valid parameter, or a repeated parameter. */
  static compile(source: string): ChannelPattern {
    const segments = source.split('/').map((text): Segment => {
      if (!text.startsWith(':')) return { literal: text };
      const name = PARAM_SEGMENT.exec(text)?.[1];
      if (name === undefined) {
        throw new TypeError(
          `Channel '${source}': '${text}' is not a parameter (':' then a letter or '_', then letters, digits or '_').`,
        );
      }
      return { param: name };
    });
    const pattern = new ChannelPattern(source, segments);
    const repeated = pattern.params.find((name, index) => pattern.params.indexOf(name) !== index);
    if (repeated !== undefined) throw new TypeError(`Channel '${source}': parameter ':${repeated}' appears twice.`);
    return pattern;
  }

  /** Whether the name has parameters (a family of concrete channels) rather than being one channel. */
  get isPattern(): boolean {
    return this.params.length > 0;
  }

  /** The name written segment by segment: each literal as `literal` gives it, each parameter as `param` does. */
  render(literal: (text: string) => string, param: (name: string) => string): string {
    return this.segments
      .map((segment) => ('param' in segment ? param(segment.param) : literal(segment.literal)))
      .join('/');
  }

  get segmentCount(): number {
    return this.segments.length;
  }

  /** The parameters of `segments` (a concrete name split on `/`), or undefined when it does not match. */
  match(segments: readonly string[]): ChannelParams | undefined {
    if (segments.length !== this.segments.length) return undefined;
    const params: Record<string, string> = {};
    for (let index = 0; index < segments.length; index++) {
      const segment = this.segments[index];
      const value = segments[index];
      if ('param' in segment) {
        if (value === '' || value.length > MAX_PARAM_LENGTH) return undefined;
        params[segment.param] = value;
      } else if (segment.literal !== value) {
        return undefined;
      }
    }
    return params;
  }

  /**
   * The concrete name of `params`. Throws `TypeError` naming a parameter that is missing, empty, holds a
   * `/` or is longer than `MAX_PARAM_LENGTH` (no client could subscribe to that name).
   */
  format(params: Readonly<Record<string, unknown>>): string {
    let name = '';
    for (let index = 0; index < this.segments.length; index++) {
      const segment = this.segments[index];
      if (index > 0) name += '/';
      name += 'param' in segment ? paramValue(this.source, segment.param, params[segment.param]) : segment.literal;
    }
    return name;
  }

  /**
   * A concrete name both patterns match, or undefined when none exists: they conflict unless, at some
   * position, both have a literal and the literals differ.
   */
  overlap(other: ChannelPattern): string | undefined {
    if (other.segments.length !== this.segments.length) return undefined;
    const witness: string[] = [];
    for (let index = 0; index < this.segments.length; index++) {
      const mine = this.segments[index];
      const theirs = other.segments[index];
      if ('literal' in mine && 'literal' in theirs && mine.literal !== theirs.literal) return undefined;
      // Any non-empty value fills a position where both are parameters.
      witness.push('literal' in mine ? mine.literal : 'literal' in theirs ? theirs.literal : 'x');
    }
    return witness.join('/');
  }
}

function paramValue(source: string, name: string, value: unknown): string {
  const text = typeof value === 'string' ? value : typeof value === 'number' ? String(value) : undefined;
  if (text === undefined || text === '' || text.includes('/') || text.length > MAX_PARAM_LENGTH) {
    throw new TypeError(
      `Channel '${source}': parameter '${name}' must be a non-empty string without '/' of at most ` +
        `${MAX_PARAM_LENGTH} characters, got ${describeValue(value).slice(0, 200)}.`,
    );
  }
  return text;
}

function describeValue(value: unknown): string {
  return typeof value === 'string' ? JSON.stringify(value) : String(value);
}
