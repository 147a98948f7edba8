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

// Channels: filter (issue 12)
/** A channel's `filter` threw: that subscriber does not get the publication. */
export const channelFilterFailed = (channel: string): string =>
  `The filter of channel '${channel}' threw: the publication was not sent to that subscriber`;

// Channels with history on Redis (issue 12)

/** A `v1` publication (no offset) received on a channel with history: refused (`stats.rejected`). */
export const plainPublicationOnHistoryChannel = 'a publication without an offset on a channel with history';

/** `listening(channel)` could not be satisfied: not watched here, or the Redis subscription is down. */
export const historyNotListening = (channel: string): string =>
  `Channel '${channel}' is not listened to on Redis (no subscriber here, or Redis is unreachable).`;

/** Appended to the reconnect line: history publications that failed during the outage. */
export const historyFailedDuringOutage = (count: number): string =>
  count === 0 ? '' : ` ${count} publication(s) to channels with history failed (rejected) during the outage.`;

/** Appended to the "answers again" line: history publications that failed while Redis did not answer. */
export const historyFailedDuringBacklog = (count: number): string =>
  count === 0 ? '' : ` ${count} publication(s) to channels with history failed (rejected) meanwhile.`;

/** History publications that Redis refused while connected (throttled). */
export const historyAppendError = (count: number, channel: string, reason: string): string =>
  `${count} publication(s) to channels with history failed (latest on '${channel}': ${reason}); they were ` +
  'rejected, not sent.';

/** A Redis command of the history or presence store not answered within `commandTimeoutMs` (its caller gave up). */
export const redisCommandTimedOut = (timeoutMs: number): string =>
  `Redis did not answer within ${timeoutMs} ms (commandTimeoutMs)`;

/** History publications whose append Redis did not answer in time (throttled): failed for the caller, maybe stored later. */
export const historyAppendTimedOut = (count: number, channel: string, timeoutMs: number): string =>
  `${count} publication(s) to channels with history got no answer from Redis within ${timeoutMs} ms ` +
  `(latest on '${channel}'): reported failed, though Redis may still store and deliver them when it answers.`;

/** `commandTimeoutMs` given to `RedisBroker` directly (the module's options are checked at startup). */
export const invalidCommandTimeout = (value: unknown): string =>
  `RedisBroker: commandTimeoutMs must be a whole number of milliseconds from 1 to 2147483647, got ${String(value)}.`;

/** The message of the `HistoryUnavailableError` of a history store operation (never sent to clients). */
export const historyUnreachable = (channel: string): string =>
  `The history of '${channel}' cannot be reached (Redis is down or not answering).`;

/** A history publication refused before it was stored: its message would exceed `maxMessageBytes`. */
export const historyPublicationTooLarge = (channel: string, size: number, maxMessageBytes: number): string =>
  `A publication on '${channel}' of ${size} bytes is larger than maxMessageBytes (${maxMessageBytes}): it was ` +
  'not stored nor sent.';

// Channels: presence (issue 12)

/** A presence channel's `info` gave more than the bound: the subscribe fails (INTERNAL_ERROR), this says why. */
export const presenceInfoTooLarge = (channel: string, bytes: number, maxBytes: number): string =>
  `The presence info of a subscriber of '${channel}' is ${bytes} bytes serialized, more than ${maxBytes}: ` +
  'keep presence.info small (it is sent to every subscriber and kept in the presence store).';

/** A presence `leave` that failed (the member expires from the shared store by itself). */
export const presenceLeaveFailed = (channel: string): string =>
  `A presence leave on channel '${channel}' failed; the member expires from the presence store by itself`;

// Replies and publications projected to their declared type (issue 13)

/** Where a value sent to clients breaks its declared type's rules: paths and rule names, never the values. */
export const outputViolations = (
  what: string,
  typeName: string,
  violations: ReadonlyArray<{ path: string; problems: string[] }>,
): string => {
  const shown = violations
    .slice(0, 10)
    .map(({ path, problems }) => `${path === '' ? '(the value)' : path} (${problems.join(', ')})`);
  const more = violations.length > 10 ? `; and ${violations.length - 10} more` : '';
  return `${what} does not fit its declared type ${typeName}: ${shown.join('; ')}${more}`;
};

/** `outputValidation: 'warn'`: the projection was sent anyway (`count` such values since the last line). */
export const outputSentAnyway = (violations: string, count: number): string =>
  `${violations}. The projection was sent (outputValidation: 'warn')${count > 1 ? `; ${count} such values since the last line` : ''}.`;

/** `SocketApiConnections` (docs/control.md). */
export const controlNotConnected =
  "The broker is not connected: this instance's own connections were handled, the other instances were not reached.";
export const controlUnheard =
  'The control message reached no instance, not even this one, which listens: Redis Cluster slots moving (a failover)? ' +
  "This instance's own connections were handled; the cluster's slots are read again: retry.";
export const controlTooLarge = (size: number, maxMessageBytes: number): string =>
  `The control message is ${size} bytes, more than maxMessageBytes (${maxMessageBytes}): ` +
  "this instance's own connections were handled, the other instances were not reached.";
export const userLimitWriteFailed = (count: number, reason: string): string =>
  `${count} write(s) of maxConnectionsPerUser's counts to Redis failed (latest: ${reason}); the next refresh writes them again.`;
export const userLimitUnreachable = (count: number, error: unknown): string =>
  `maxConnectionsPerUser could not reach Redis for ${count} handshake(s) (latest: ` +
  `${error instanceof Error ? error.message : String(error)}): each instance counted only its own connections (fail-open).`;
export const controlInvalidArgument = (name: string, expected: string): string =>
  `SocketApiConnections: ${name} must be ${expected}.`;
export const controlUnknownChannel = (channel: string): string =>
  `SocketApiConnections.sendToUser: no @SocketChannel declares '${channel}'.`;
export const controlSendToHistoryChannel = (channel: string): string =>
  `SocketApiConnections.sendToUser: channel '${channel}' keeps a history; publish to it instead (every publication of it has an offset).`;
export const controlNoAnswer = (answered: number, expected: number | undefined, timeoutMs: number): string =>
  `${answered} of ${expected ?? 'the'} other instance(s) answered within controlTimeoutMs (${timeoutMs} ms): ` +
  "this instance's own connections were handled, the others may not have been.";
export const controlRefusedMessage = (count: number, reason: string): string =>
  `Ignored ${count} control message(s) from the broker (latest: ${reason}).`;
