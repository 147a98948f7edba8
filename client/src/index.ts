export { SocketApiClient } from './socket-api-client.js';
export { SocketApiError } from './socket-api-error.js';
export { ClientErrorCode } from './client-error-codes.js';
export type { ClientState, ConnectionStatus } from './client-state.js';
export type { ContractMismatch } from './contract-check.js';
export type {
  ActionArguments,
  ActionData,
  ActionName,
  ActionReply,
  ChannelData,
  ChannelName,
  ChannelPayload,
  SocketApiContract,
  UntypedContract,
} from './contract.js';
export type { ValidationErrorEntry } from './frames.js';
export type {
  ActionOptions,
  ClientAuthOptions,
  HeartbeatOptions,
  QueueOptions,
  ReconnectOptions,
  SocketApiClientOptions,
  TokenProvider,
  TokenRequestReason,
  TokenWithExpiry,
} from './options.js';
export type { AbortSignalLike, WebSocketConstructor } from './platform.js';
