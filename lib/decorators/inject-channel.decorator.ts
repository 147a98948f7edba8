import { Inject } from '@nestjs/common';
import { getChannelToken, registerInjectedChannel } from './channel-tokens.js';
import { assertHandlerName } from './assert-name.js';

/** Injects the `Channel<T>` of the `@SocketChannel(name)` method: publish to it, observe it. */
export function InjectChannel(name: string): PropertyDecorator & ParameterDecorator {
  assertHandlerName('InjectChannel', name);
  registerInjectedChannel(name);
  return Inject(getChannelToken(name));
}
