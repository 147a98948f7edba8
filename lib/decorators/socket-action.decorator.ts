import { SetMetadata } from '@nestjs/common';
import type { SocketActionOptions } from '../interfaces/socket-action-options.interface.js';
import type { SocketReplyType, SocketReplyValue } from '../interfaces/socket-reply-type.interface.js';
import { SOCKET_ACTION_METADATA } from '../socket-api.constants.js';
import { assertHandlerName } from './assert-name.js';
import type { TypedMethodDecorator } from './typed-method-decorator.js';

export interface SocketActionMetadata extends SocketActionOptions {
  name: string;
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
  options: SocketActionOptions & { reply: Reply },
): TypedMethodDecorator<SocketReplyValue<Reply>>;
export function SocketAction(name: string, options?: SocketActionOptions): MethodDecorator;
export function SocketAction(name: string, options: SocketActionOptions = {}): MethodDecorator {
  assertHandlerName('SocketAction', name);
  return SetMetadata<string, SocketActionMetadata>(SOCKET_ACTION_METADATA, { ...options, name });
}
