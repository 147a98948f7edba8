import { CHANNEL_PARAM } from '../socket-api.constants.js';
import { defineParam, type ParamPipe } from './param-metadata.js';

/**
 * A parameter of the concrete channel a client subscribed to: `@ChannelParam('roomId')` is `42` of
 * `rooms/42` for `@SocketChannel('rooms/:roomId')`; `@ChannelParam()` is all of them as one object
 * (or a DTO). Read, coerced and validated as `@Data` is (errors name the parameter `:roomId`); pipes
 * run after. Calling the method from server code publishes to the channel these arguments name.
 */
export function ChannelParam(name?: string | ParamPipe, ...pipes: ParamPipe[]): ParameterDecorator {
  if (name === undefined || typeof name === 'string') return defineParam(CHANNEL_PARAM, name, pipes);
  return defineParam(CHANNEL_PARAM, undefined, [name, ...pipes]);
}
