import { SetMetadata } from '@nestjs/common';
import type { SocketActionOptions } from '../interfaces/socket-action-options.interface.js';
import { SOCKET_ACTION_METADATA } from '../socket-api.constants.js';
import { assertHandlerName } from './assert-name.js';

export interface SocketActionMetadata extends SocketActionOptions {
  name: string;
}

/**
 * Makes the method a request/response endpoint that clients call with
 * `{"type":"action","channel":name,"data":{...}}`; its return value is the reply's `data`.
 */
export function SocketAction(name: string, options: SocketActionOptions = {}): MethodDecorator {
  assertHandlerName('SocketAction', name);
  return SetMetadata<string, SocketActionMetadata>(SOCKET_ACTION_METADATA, { ...options, name });
}
