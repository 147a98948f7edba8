// nestjs-socketapi/testing: a client for end-to-end tests of an app that uses nestjs-socketapi.
// Its client is the code of nestjs-socketapi-client (client/src), bundled into this entry at build
// time, so the kit needs nothing but the server package and the app's own peers (rxjs, ws).
export { createTestClient, type TestClientOptions } from './create-test-client.js';
export type { TestClient } from './test-client.js';
export type { FrameDirection, FrameRecord } from './frame-log.js';
export { SocketApiError } from '../client/src/socket-api-error.js';
export { ClientErrorCode } from '../client/src/client-error-codes.js';
export type { ClientState, ConnectionStatus } from '../client/src/client-state.js';
export type { ActionOptions } from '../client/src/options.js';
export type { SocketApiContract, UntypedContract } from '../client/src/contract.js';
export type { PresenceMember, StreamPosition, ValidationErrorEntry } from '../client/src/frames.js';
export type { PresenceEvent } from '../client/src/presence.js';
export type { RecoveryEvent } from '../client/src/recovery.js';
