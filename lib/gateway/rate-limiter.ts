import type { ResolvedRateLimit } from '../options/resolved-options.js';
import type { WsConnection } from './ws-connection.js';

/** A token bucket per connection: `burst` messages at once, refilled at `perSecond`. */
export class RateLimiter {
  private readonly perMs: number;
  /** Refused messages in a row after which the connection is abusing, not bursting. */
  readonly closeAfter: number;

  constructor(private readonly options: ResolvedRateLimit) {
    if (!(options.perSecond > 0) || !(options.burst >= 1)) {
      throw new TypeError('rateLimit needs perSecond > 0 and burst >= 1.');
    }
    this.perMs = options.perSecond / 1000;
    this.closeAfter = options.closeAfter;
  }

  /** Takes a token for one message; false when the bucket is empty. */
  take(connection: WsConnection, now: number): boolean {
    const elapsed = now - connection.tokensAt;
    const tokens = Math.min(this.options.burst, (connection.tokens ?? this.options.burst) + elapsed * this.perMs);
    connection.tokensAt = now;
    if (tokens < 1) {
      connection.tokens = tokens;
      connection.refusedInRow++;
      return false;
    }
    connection.tokens = tokens - 1;
    connection.refusedInRow = 0;
    return true;
  }
}
