import type { StreamPosition } from '../interfaces/channel-stream.interface.js';

/**
 * Whether a client's position can be recovered from a stream, the one rule both history stores (memory
 * and Redis) apply: pure, so that the stores only read and the decision is tested once.
 *
 * A channel that was never published to has no stream, and subscribing to it must create none (a client
 * subscribing to a million rooms one after another must not leave a million epochs behind). Its position
 * is then an "empty-stream token" `~<incarnation>~<time base36>` rather than an epoch: it names the
 * store's life (a restarted store has another incarnation) and when the client saw the channel empty.
 */

/** A stream's state, as a store reads it. */
export interface StreamMeta {
  readonly epoch: string;
  /** The last offset given. */
  readonly top: number;
  /** When the stream was created (ms, the store's clock). */
  readonly createdAt: number;
  /** The store's life the stream belongs to. */
  readonly incarnation: string;
  /** The lowest offset still kept (`top + 1` when no entry is). */
  readonly firstRetained: number;
}

const TOKEN = /^~([^~]+)~([0-9a-z]{1,11})$/;

/** The position's epoch for a channel without a stream, read at `now` in the store's `incarnation`. */
export function emptyStreamToken(incarnation: string, now: number): string {
  return `~${incarnation}~${Math.max(0, Math.floor(now)).toString(36)}`;
}

/** Whether `epoch` is an empty-stream token rather than a stream's epoch. */
export function isEmptyStreamToken(epoch: string): boolean {
  return epoch.startsWith('~');
}

/**
 * Whether every publication after `since` is still in the stream `meta` describes (`undefined`: the
 * channel has no stream now). Never true for a position the store cannot vouch for: another epoch, an
 * offset above the top or older than what is kept, a token of another incarnation or too old to prove
 * that no stream came and went since.
 */
export function canRecover(
  since: StreamPosition,
  meta: StreamMeta | undefined,
  now: number,
  incarnation: string,
  metaTtlMs: number,
): boolean {
  const token = TOKEN.exec(since.epoch);
  if (!token) return meta !== undefined && meta.epoch === since.epoch && isRetained(since.offset, meta);
  if (token[1] !== incarnation) return false;
  const seenAt = parseInt(token[2], 36);
  if (meta === undefined) {
    // A stream born after `seenAt` lives at least metaTtl: none can have come and gone in less.
    return since.offset === 0 && seenAt <= now && now - seenAt < metaTtlMs;
  }
  // The stream was born after the client saw the channel empty, and is the first one since.
  const bornSince = meta.incarnation === incarnation && seenAt <= meta.createdAt && meta.createdAt < seenAt + metaTtlMs;
  return bornSince && isRetained(since.offset, meta);
}

function isRetained(offset: number, meta: StreamMeta): boolean {
  return offset <= meta.top && offset >= meta.firstRetained - 1;
}
