export const SOCKET_ACTION_METADATA = 'socketapi:action';
export const SOCKET_CHANNEL_METADATA = 'socketapi:channel';

/** Param kinds stored under Nest's route-args key, so the scanner registers their pipes. */
export const DATA_PARAM = 'socketapi_data';
export const CONNECTION_PARAM = 'socketapi_connection';

export const DEFAULT_PATH = '/';
export const DEFAULT_MAX_PAYLOAD = 64 * 1024;
