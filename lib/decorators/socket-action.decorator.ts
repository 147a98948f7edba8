import { SetMetadata } from '@nestjs/common';
import type { SocketActionOptions, SocketActionReplyOptions } from '../interfaces/socket-action-options.interface.js';
import type { SocketReplyType, SocketReplyValue } from '../interfaces/socket-reply-type.interface.js';
import { SOCKET_ACTION_METADATA } from '../socket-api.constants.js';
import { assertHandlerName } from './assert-name.js';
import type { TypedMethodDecorator } from './typed-method-decorator.js';

export interface SocketActionMetadata extends SocketActionOptions {
  name: string;
  reply?: SocketReplyType;
}

/**
 * Makes the method a request/response endpoint that clients call with
 * `{"type":"action","channel":name,"data":{...}}`; its return value is the reply's `data`.
 *
 * With `reply` (a DTO class, `Number`, `String`, `Boolean` or `[Type]`), the reply is documented
 * with that type's schema, and a method whose return type does not fit it does not compile.
 */
export function SocketAction<const Reply extends SocketReplyType>(
  name: string,
  options: SocketActionReplyOptions<Reply>,
): TypedMethodDecorator<SocketReplyValue<Reply>>;
// `reply?: undefined`: options with a `reply` that does not type-check (a wrong example) must not
// fall back to this unchecked signature.
export function SocketAction(name: string, options?: SocketActionOptions & { reply?: undefined }): MethodDecorator;
export function SocketAction(
  name: string,
  options: SocketActionOptions & { reply?: SocketReplyType } = {},
): MethodDecorator {
  assertHandlerName('SocketAction', name);
  return SetMetadata<string, SocketActionMetadata>(SOCKET_ACTION_METADATA, { ...options, name });
}
