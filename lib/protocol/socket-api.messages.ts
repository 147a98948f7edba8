/**
 * Every text the server sends to its clients: the `message` of error frames (PROTOCOL.md's error
 * tables, in their order), close reasons, the reason phrases of refused handshakes, and the error
 * bodies of the HTTP bridge. They are part of the protocol (clients and their tests match on them),
 * so they change only with it, byte for byte. What the server logs is in `logging/log.messages.ts`:
 * that may be reworded freely, and keeping it apart keeps this file the protocol's.
 */

/** `{"type":"error","message":...}`: PROTOCOL.md, "Errors" and "Errors of authentication and limits". */
export const ErrorMessage = {
  invalidJson: 'Invalid JSON.',
  notAnObject: 'Message must be a JSON object.',
  binaryFrame: 'Binary frames are not supported.',
  typeRequired: 'Message type is required.',
  channelRequired: 'Channel is required.',
  invalidId: 'Message id must be a string or a number.',
  unknownType: (type: string) => `Unknown message type: ${type}.`,
  actionNotFound: (name: string) => `Action '${name}' not found.`,
  channelNotFound: (name: string) => `Channel '${name}' not found.`,
  /** No period, as SocketAPI. */
  invalidParameters: (kind: 'action' | 'channel', name: string) => `Invalid parameters for ${kind} '${name}'`,
  someErrorsListed: (message: string, listed: number, total: number) =>
    `${message} (${total} errors, the first ${listed} listed)`,
  /** Also the message of an error that cannot be sent as JSON; the cause is logged, never sent. */
  internalError: 'Internal server error',
  tooManyRequests: 'Too many requests.',
  tokenExpired: 'Token expired.',
  invalidCredentials: 'Invalid credentials.',
  otherSubject: 'Credentials of another subject.',
  renewalInProgress: 'A renewal is already in progress.',
  tooManySubscriptions: 'Too many subscriptions.',
  nestedTooDeeply: (maxDepth: number) => `Message data is nested too deeply (more than ${maxDepth} levels).`,
  // issue 12
  invalidRecover: 'recover must be {"offset": an integer ≥ 0, "epoch": a string}',
  presenceDisabled: (name: string) => `Channel '${name}' has no presence.`,
  notSubscribed: (name: string) => `Not subscribed to channel '${name}'.`,
  unavailable: 'Service temporarily unavailable.',
} as const;

/** Reasons of the close frames the server sends: PROTOCOL.md, "Close codes and reasons used". */
export const CloseReason = {
  idleTimeout: 'Idle timeout',
  shuttingDown: 'Server shutting down',
  rateLimitExceeded: 'Rate limit exceeded',
  /** The same text as the `RATE_LIMITED` error: the refusals themselves overflowed. */
  tooManyRequests: ErrorMessage.tooManyRequests,
  tokenExpired: 'Token expired',
  slowConsumer: 'Slow consumer',
  /** `SocketApiConnections.closeUser` without a reason of the app's. */
  closedByServer: 'Closed by the server',
} as const;

/** Reason phrases of the HTTP responses that refuse an upgrade: PROTOCOL.md, "Handshake refusals". */
export const HandshakeRefusal = {
  shuttingDown: 'Server shutting down',
  originNotAllowed: 'Origin not allowed',
  tooManyConnections: 'Too many connections',
  tooManyFromAddress: 'Too many connections from this address',
  tooManyForUser: 'Too many connections for this user',
  timedOut: 'Handshake timed out',
  unauthorized: 'Unauthorized',
  forbidden: 'Forbidden',
  internalError: 'Internal Server Error',
} as const;

/** `{"error": ...}` bodies of the HTTP bridge (`broadcast`). */
export const BroadcastError = {
  notLocal: 'Broadcast endpoint can only be accessed locally.',
  originNotAllowed: 'Broadcast endpoint: this Origin is not allowed (see allowedOrigins).',
  unauthorized: 'Unauthorized.',
  notJsonContentType: 'The body must be JSON, sent with Content-Type: application/json.',
  invalidJson: 'The body is not valid JSON.',
  notAnObject: 'The body must be a JSON object: {"channel": "<name>", "data": {...}}.',
  channelRequired: '"channel" must be a non-empty string.',
  nestedTooDeeply: (maxDepth: number) => `"data" is nested too deeply (more than ${maxDepth} levels).`,
  channelNotFound: ErrorMessage.channelNotFound,
  internalError: ErrorMessage.internalError,
  historyUnavailable:
    'The channel keeps a history, and its store cannot be reached: nothing was published. Retry later.',
  endedEarly: 'The request ended before its body.',
  tooLarge: (maxBytes: number) => `The body is larger than ${maxBytes} bytes.`,
} as const;
