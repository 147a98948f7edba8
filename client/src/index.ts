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
  ChannelContract,
  ChannelData,
  ChannelKey,
  ChannelName,
  ChannelPayload,
  ConcreteName,
  PresenceChannelName,
  PresenceInfo,
  SocketApiContract,
  UntypedContract,
} from './contract.js';
export type { PresenceMember, StreamPosition, ValidationErrorEntry } from './frames.js';
export type { PresenceEvent } from './presence.js';
export type { RecoveryEvent } from './recovery.js';
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
