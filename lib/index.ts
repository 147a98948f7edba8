export { apiKeyAuthenticator, apiKeyFingerprint } from './auth/api-key.authenticator.js';
export type { ApiKeyAuthenticatorOptions, ApiKeys } from './auth/api-key-authenticator-options.interface.js';
export type { ConnectGuardRequest } from './auth/connect-guards.js';
export { jwtAuthenticator } from './auth/jwt.authenticator.js';
export type { JwtAuthenticatorOptions, JwtPayload } from './auth/jwt-authenticator-options.interface.js';
export { InMemoryBroker } from './broker/in-memory.broker.js';
export type { RemoteDelivery, SocketApiBroker } from './interfaces/socket-api-broker.interface.js';
export { RedisBroker } from './broker/redis.broker.js';
export type {
  RedisBrokerLogger,
  RedisBrokerOptions,
  RedisBrokerStats,
  RedisClusterConnection,
  RedisConnection,
  RedisSettings,
} from './interfaces/redis-broker-options.interface.js';
export { SocketApiEmitter, type SocketApiEmitterOptions } from './broker/socket-api-emitter.js';
export type { BroadcastOptions } from './interfaces/broadcast-options.interface.js';
export { Channel, ChannelFamily, HistoryChannel, HistoryChannelFamily } from './channels/channel.js';
export type {
  ChannelParams,
  ChannelRoute,
  HistoryLimits,
  HistoryRead,
  HistoryStore,
  PresenceEvent,
  PresenceMember,
  PresenceStore,
  StoredPublication,
  StreamPosition,
  StreamSink,
} from './interfaces/channel-stream.interface.js';
export { Connection } from './decorators/connection.decorator.js';
export { ChannelParam } from './decorators/channel-param.decorator.js';
export { Data } from './decorators/data.decorator.js';
export { OpenObject } from './decorators/open-object.decorator.js';
export { InjectChannel } from './decorators/inject-channel.decorator.js';
export { OnSocketConnect } from './decorators/on-socket-connect.decorator.js';
export { OnSocketDisconnect } from './decorators/on-socket-disconnect.decorator.js';
export { SocketAction } from './decorators/socket-action.decorator.js';
export { SocketChannel } from './decorators/socket-channel.decorator.js';
export { getChannelToken } from './decorators/channel-tokens.js';
export { getChannelName, getChannelParams } from './handlers/channel-context.js';
export { CloseCode } from './protocol/close-codes.js';
export { SocketApiConnections } from './gateway/socket-api-connections.js';
export type {
  ControlTransport,
  UserConnectionInfo,
  UserConnectionStore,
} from './interfaces/connection-control.interface.js';
export { SocketConnection } from './connection/socket-connection.js';
export type { SocketApiDocsOptions } from './interfaces/docs-options.interface.js';
export type { PrometheusRegistry, SocketApiMetricsOptions } from './interfaces/metrics-options.interface.js';
export type { SocketApiHealthOptions } from './interfaces/health-options.interface.js';
export { SocketApiHealthIndicator, type SocketApiHealthResult } from './health/socket-api-health-indicator.js';
export type { NotReadyReason } from './health/readiness.js';
export type {
  SocketActionExample,
  SocketActionOptions,
  SocketActionReplyOptions,
  SocketHandlerOptions,
} from './interfaces/socket-action-options.interface.js';
export type {
  ChannelFilter,
  ChannelFilterContext,
  ChannelHistoryOptions,
  ChannelPresenceOptions,
  SocketChannelExample,
  SocketChannelOptions,
  SocketChannelPayloadOptions,
} from './interfaces/socket-channel-options.interface.js';
export type {
  OutputValidationMode,
  SocketReplyType,
  SocketReplyValue,
} from './interfaces/socket-reply-type.interface.js';
export type { MethodReturning, TypedMethodDecorator } from './decorators/typed-method-decorator.js';
export { createSocketApiDocument, type SocketApiDocumentOverrides } from './docs/create-socket-api-document.js';
export { createSocketApiContract, type SocketApiContractOptions } from './contract/create-socket-api-contract.js';
export type {
  AsyncApiChannel,
  AsyncApiDocument,
  AsyncApiInfo,
  AsyncApiMessage,
  AsyncApiMessageExample,
  AsyncApiOperation,
  AsyncApiReference,
  AsyncApiSecurityScheme,
  AsyncApiServer,
  AsyncApiServerLocation,
  AsyncApiTag,
  SocketOperationKind,
} from './docs/asyncapi-document.js';
export type { JsonSchema } from './schema/json-schema.js';
export type {
  HeartbeatOptions,
  RateLimitOptions,
  SocketApiModuleOptions,
  SocketApiValidationOptions,
} from './interfaces/socket-api-options.interface.js';
export type {
  HandshakeRequest,
  MaybePromise,
  SocketAuthenticator,
  SocketIdentity,
  SocketRenewal,
  SocketSecurityScheme,
} from './interfaces/socket-authenticator.interface.js';
export { ErrorCode } from './protocol/error-codes.js';
export {
  ControlUnavailableError,
  HistoryUnavailableError,
  SocketApiException,
  SocketApiValidationException,
  type FieldError,
} from './protocol/errors.js';
export { UnserializableValueError } from './protocol/to-plain.js';
export type { ClientMessage, ErrorPayload, MessageId } from './protocol/messages.js';
export { SocketApiDeclarationError } from './handlers/handler-target.js';
export { SOCKET_API_OPTIONS } from './socket-api.module-definition.js';
export { SocketApiModule } from './socket-api.module.js';
