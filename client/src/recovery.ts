import type { ServerFrame, StreamPosition } from './frames.js';

/**
 * What became of a subscription's place in a channel's history: `recovered: true` when the server
 * sent every publication missed (a resubscribe after a reconnect, then the live ones, nothing lost or
 * repeated); `false` when it could not (the history was lost or the client was away too long), and
 * nothing was replayed: the app reloads what it shows from its own source.
 */
export interface RecoveryEvent {
  readonly channel: string;
  readonly recovered: boolean;
}

/** The stream position a `subscribed` frame of a history channel carries (its top and epoch), if any. */
export function positionOfFrame(frame: ServerFrame): StreamPosition | undefined {
  const { offset, epoch } = frame;
  if (typeof offset !== 'number' || !Number.isSafeInteger(offset) || offset < 0) return undefined;
  if (typeof epoch !== 'string' || epoch === '') return undefined;
  return { offset, epoch };
}

/** A `data` frame's offset (history channels only), if it carries a valid one. */
export function offsetOfFrame(frame: ServerFrame): number | undefined {
  const { offset } = frame;
  return typeof offset === 'number' && Number.isSafeInteger(offset) ? offset : undefined;
}
