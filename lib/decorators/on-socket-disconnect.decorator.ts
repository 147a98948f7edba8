import { SetMetadata } from '@nestjs/common';
import { SOCKET_DISCONNECT_HOOK_METADATA } from '../socket-api.constants.js';

/**
 * Runs the method when a connection closes, with its `SocketConnection`, the close code and the
 * reason, after its subscriptions are gone. An exception it throws is logged and harms nothing.
 */
export const OnSocketDisconnect = (): MethodDecorator => SetMetadata(SOCKET_DISCONNECT_HOOK_METADATA, true);
