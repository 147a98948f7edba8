import type { HistoryLimits } from '../interfaces/channel-stream.interface.js';
import type { ChannelHistoryOptions } from '../interfaces/socket-channel-options.interface.js';
import { DEFAULTS } from '../options/defaults.js';

/** The most entries a channel's history may keep: a replay is sent in one go, and memory holds it all. */
export const MAX_HISTORY_SIZE = 100_000;
/** The shortest `ttl`: a history shorter than a reconnect would recover nothing. */
export const MIN_HISTORY_TTL_MS = 1000;

/**
 * A channel's `history` option as the stores use it, checked once at startup. Throws a `RangeError`
 * naming the bad field (the caller turns it into a declaration error naming the method).
 */
export function resolveHistoryLimits(options: ChannelHistoryOptions): HistoryLimits {
  const { size, ttl, metaTtl = Math.max(ttl, DEFAULTS.historyMetaTtlMs) } = options;
  if (!Number.isSafeInteger(size) || size < 1 || size > MAX_HISTORY_SIZE) {
    throw new RangeError(`history.size must be an integer from 1 to ${MAX_HISTORY_SIZE} (got ${String(size)}).`);
  }
  if (!Number.isSafeInteger(ttl) || ttl < MIN_HISTORY_TTL_MS) {
    throw new RangeError(`history.ttl must be an integer of at least ${MIN_HISTORY_TTL_MS} ms (got ${String(ttl)}).`);
  }
  if (!Number.isSafeInteger(metaTtl) || metaTtl < ttl) {
    throw new RangeError(`history.metaTtl must be an integer of at least history.ttl (got ${String(metaTtl)}).`);
  }
  return { size, ttlMs: ttl, metaTtlMs: metaTtl };
}
