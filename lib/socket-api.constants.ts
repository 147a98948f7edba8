export const SOCKET_ACTION_METADATA = 'socketapi:action';
export const SOCKET_CHANNEL_METADATA = 'socketapi:channel';

/** Param kinds stored under Nest's route-args key, so the scanner registers their pipes. */
export const DATA_PARAM = 'socketapi_data';
export const CONNECTION_PARAM = 'socketapi_connection';
export const CHANNEL_PARAM = 'socketapi_channel_param';

export const SOCKET_CONNECT_HOOK_METADATA = 'socketapi:on-connect';
export const SOCKET_DISCONNECT_HOOK_METADATA = 'socketapi:on-disconnect';

/** Injection token of the `SocketApiBroker` in use. */
export const SOCKET_API_BROKER = Symbol('SOCKET_API_BROKER');

/** Class metadata of `@OpenObject()`: strict input accepts keys the DTO does not declare. */
export const OPEN_OBJECT_METADATA = 'socketapi:open-object';
