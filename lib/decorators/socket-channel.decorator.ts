import { SetMetadata } from '@nestjs/common';
import type { SocketChannelOptions } from '../interfaces/socket-channel-options.interface.js';
import { SOCKET_CHANNEL_METADATA } from '../socket-api.constants.js';
import { assertHandlerName } from './assert-name.js';

export interface SocketChannelMetadata extends SocketChannelOptions {
  name: string;
}

/**
 * Makes the method a pub/sub channel. Clients subscribe with `{"type":"subscribe","channel":name}`
 * (the method runs then, with the message's `data`, and may refuse by throwing). Calling the method
 * from server code publishes its return value to every subscriber and returns that value.
 */
export function SocketChannel(name: string, options: SocketChannelOptions = {}): MethodDecorator {
  assertHandlerName('SocketChannel', name);
  return SetMetadata<string, SocketChannelMetadata>(SOCKET_CHANNEL_METADATA, { ...options, name });
}
