export const SOCKET_ACTION_METADATA = 'socketapi:action';
export const SOCKET_CHANNEL_METADATA = 'socketapi:channel';

/** Param kinds stored under Nest's route-args key, so the scanner registers their pipes. */
export const DATA_PARAM = 'socketapi_data';
export const CONNECTION_PARAM = 'socketapi_connection';

export const DEFAULT_PATH = '/';
export const DEFAULT_MAX_PAYLOAD = 64 * 1024;
export const DEFAULT_MAX_CONNECTIONS = 50_000;
export const DEFAULT_MAX_SUBSCRIPTIONS = 100;
export const DEFAULT_MAX_PENDING_MESSAGES = 1024;
export const DEFAULT_MAX_PENDING_BYTES = 256 * 1024;
export const DEFAULT_MAX_BUFFERED_BYTES = 4 * 1024 * 1024;
export const DEFAULT_HEARTBEAT_INTERVAL_MS = 30_000;
export const DEFAULT_HEARTBEAT_TIMEOUT_MS = 10_000;
export const DEFAULT_SHUTDOWN_TIMEOUT_MS = 10_000;
export const DEFAULT_HANDSHAKE_TIMEOUT_MS = 10_000;
export const DEFAULT_MAX_DEPTH = 32;
export const DEFAULT_ERROR_LOG_INTERVAL_MS = 10_000;
export const DEFAULT_REDIS_MAX_PENDING_BYTES = 4 * 1024 * 1024;
export const DEFAULT_REDIS_MAX_MESSAGE_BYTES = 4 * 1024 * 1024;
export const DEFAULT_BROADCAST_PATH = '/_broadcast';
export const DEFAULT_BROADCAST_MAX_BODY_BYTES = 1024 * 1024;
export const DEFAULT_CLOSE_TIMEOUT_MS = 3000;

export const SOCKET_CONNECT_HOOK_METADATA = 'socketapi:on-connect';
export const SOCKET_DISCONNECT_HOOK_METADATA = 'socketapi:on-disconnect';

/** Injection token of the `SocketApiBroker` in use. */
export const SOCKET_API_BROKER = Symbol('SOCKET_API_BROKER');
