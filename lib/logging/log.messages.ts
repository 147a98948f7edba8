/**
 * What the library writes to the app's log (startup, deprecations, warnings), as opposed to what it
 * sends to clients (`protocol/socket-api.messages.ts`, frozen by the protocol). Log lines may be
 * reworded between versions; keeping them here keeps their wording consistent.
 */

/** A module option renamed into the `redis` settings object. */
export const deprecatedModuleOption = (name: string, replacement: string): string =>
  `Option '${name}' is deprecated and will be removed in 1.0: use redis: { connection, ${replacement} } instead.`;

/** `RedisBroker`/`SocketApiEmitter` given `{ redis }`, the old name of `{ connection }`. */
export const deprecatedRedisKey = (owner: string): string =>
  `${owner}: option 'redis' is deprecated and will be removed in 1.0: use 'connection' instead (same values).`;

/** The app's contract hash could not be computed for a `contract` frame (its AsyncAPI document failed to build). */
export const contractHashFailed = 'The contract hash (AsyncAPI document of the handlers) could not be computed';

// issue 12: P4 (presence)

/** A presence channel's `info` gave more than the bound: the subscribe fails (INTERNAL_ERROR), this says why. */
export const presenceInfoTooLarge = (channel: string, bytes: number, maxBytes: number): string =>
  `The presence info of a subscriber of '${channel}' is ${bytes} bytes serialized, more than ${maxBytes}: ` +
  'keep presence.info small (it is sent to every subscriber and kept in the presence store).';

/** A presence `leave` that failed (the member expires from the shared store by itself). */
export const presenceLeaveFailed = (channel: string): string =>
  `A presence leave on channel '${channel}' failed; the member expires from the presence store by itself`;
