import type { ExecutionContext } from '@nestjs/common';
import { NO_PARAMS } from '../channels/channel-pattern.js';
import type { ChannelParams, ChannelRoute } from '../interfaces/channel-stream.interface.js';

/**
 * The parameters of the concrete channel a guard, interceptor or filter runs for (`{ roomId: '42' }`
 * for a subscribe to `rooms/42` of `rooms/:roomId`); `{}` for an action or a channel without parameters.
 */
export function getChannelParams(context: ExecutionContext): ChannelParams {
  return routeOf(context)?.params ?? NO_PARAMS;
}

/**
 * The concrete channel's name (`rooms/42`), where `context.switchToWs().getPattern()` gives the declared
 * one (`rooms/:roomId`); an action's name for an action.
 */
export function getChannelName(context: ExecutionContext): string {
  return routeOf(context)?.name ?? context.switchToWs().getPattern();
}

/** Channels run with `[connection, data, route, pattern]`, actions with `[connection, data, pattern]`. */
function routeOf(context: ExecutionContext): ChannelRoute | undefined {
  const args = context.getArgs();
  return args.length === 4 ? (args[2] as ChannelRoute) : undefined;
}
