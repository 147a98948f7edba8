import { SetMetadata } from '@nestjs/common';
import { SOCKET_CONNECT_HOOK_METADATA } from '../socket-api.constants.js';

/**
 * Runs the method for every new connection, with its `SocketConnection`, once the socket is open
 * (after authentication). An exception it throws is logged and harms nothing.
 */
export const OnSocketConnect = (): MethodDecorator => SetMetadata(SOCKET_CONNECT_HOOK_METADATA, true);
