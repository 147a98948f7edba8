import { SetMetadata } from '@nestjs/common';
import type {
  SocketChannelOptions,
  SocketChannelPayloadOptions,
} from '../interfaces/socket-channel-options.interface.js';
import type { SocketReplyType, SocketReplyValue } from '../interfaces/socket-reply-type.interface.js';
import { SOCKET_CHANNEL_METADATA } from '../socket-api.constants.js';
import { assertHandlerName } from './assert-name.js';
import type { TypedMethodDecorator } from './typed-method-decorator.js';

export interface SocketChannelMetadata extends SocketChannelOptions {
  name: string;
  payload?: SocketReplyType;
}

/**
 * Makes the method a pub/sub channel. Clients subscribe with `{"type":"subscribe","channel":name}`
 * (the method runs then, with the message's `data`, and may refuse by throwing). Calling the method
 * from server code publishes its return value to every subscriber and returns that value.
 *
 * With `payload` (a DTO class, `Number`, `String`, `Boolean` or `[Type]`), publications are
 * documented with that type's schema, and a method whose return type does not fit it does not compile.
 */
export function SocketChannel<const Payload extends SocketReplyType>(
  name: string,
  options: SocketChannelPayloadOptions<Payload>,
): TypedMethodDecorator<SocketReplyValue<Payload>>;
// `payload?: undefined`: options with a `payload` that does not type-check (a wrong example) must not
// fall back to this unchecked signature.
export function SocketChannel(name: string, options?: SocketChannelOptions & { payload?: undefined }): MethodDecorator;
export function SocketChannel(
  name: string,
  options: SocketChannelOptions & { payload?: SocketReplyType } = {},
): MethodDecorator {
  assertHandlerName('SocketChannel', name);
  return SetMetadata<string, SocketChannelMetadata>(SOCKET_CHANNEL_METADATA, { ...options, name });
}
