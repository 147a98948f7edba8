/**
 * The codes of errors the client makes itself (the server's codes, PROTOCOL.md "Errors", pass
 * through as they are). Distinct from every server code, so a caller can tell who failed.
 */
export const ClientErrorCode = {
  /** No reply within the action's `timeoutMs`. */
  TIMEOUT: 'CLIENT_TIMEOUT',
  /** The action's `signal` aborted it. */
  ABORTED: 'CLIENT_ABORTED',
  /** The connection dropped with the action in flight: it may have run (`maybeExecuted`). */
  DISCONNECTED: 'CLIENT_DISCONNECTED',
  /** `whenDisconnected: 'fail'` while not connected. */
  NOT_CONNECTED: 'CLIENT_NOT_CONNECTED',
  /** The queue of actions waiting for a connection is full (items or bytes). */
  QUEUE_FULL: 'CLIENT_QUEUE_FULL',
  /** `close()` was called, or the client stopped for good (see the state's `error`). */
  CLOSED: 'CLIENT_CLOSED',
  /** The server refused the credentials, also fresh ones: terminal. */
  AUTH_REFUSED: 'CLIENT_AUTH_REFUSED',
  /** The token provider threw or rejected. */
  TOKEN_FAILED: 'CLIENT_TOKEN_FAILED',
  /** No WebSocket implementation on this platform: terminal. */
  NO_WEBSOCKET: 'CLIENT_NO_WEBSOCKET',
  /** The connection closed or could not open (the state's `error` while reconnecting). */
  CONNECTION_LOST: 'CLIENT_CONNECTION_LOST',
  /** The client's own liveness check found the connection dead. */
  DEAD_CONNECTION: 'CLIENT_DEAD_CONNECTION',
  /** `reconnect.maxAttempts` failed attempts in a row: terminal. */
  GAVE_UP: 'CLIENT_GAVE_UP',
  /** A second subscription to a channel with other data than the live one. */
  SUBSCRIPTION_CONFLICT: 'CLIENT_SUBSCRIPTION_CONFLICT',
  /** An action's or a subscription's data cannot be sent: its data function threw, or JSON cannot carry it (a BigInt, a cycle). */
  DATA_FAILED: 'CLIENT_DATA_FAILED',
  /** The server sent `unsubscribed` without being asked (a renewal whose identity the channel refuses). */
  UNSUBSCRIBED: 'CLIENT_UNSUBSCRIBED',
} as const;

export type ClientErrorCode = (typeof ClientErrorCode)[keyof typeof ClientErrorCode];
