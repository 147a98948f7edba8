import type { Channel } from '../channels/channel.js';
import type { FanOutChannelFamily } from '../channels/channel-family.js';
import type { BoundParam } from '../handlers/params-binder.js';
import type { HandlerTarget } from '../handlers/handler-target.js';
import { CHANNEL_PARAM } from '../socket-api.constants.js';

/**
 * SocketAPI's semantics: calling a channel method from server code runs it and publishes what it
 * returns (`this.chat(message)` is how an app publishes). The method's own code cannot know that, so
 * the DI instance gets an own property that wraps it: `this.chat()` and `service.chat()` both publish,
 * while the library keeps `target.method`, the original, to run it when a client subscribes (that
 * must answer the subscriber alone, not publish). The prototype is left alone, so other instances of
 * the class (made with `new`, outside DI) are plain objects.
 *
 * `channelOf` names the channel of a call from its arguments, before the method runs: a call with
 * parameters that name no channel throws without running it.
 *
 * A history channel's publication is stored before it goes out: an `async` method's Promise resolves
 * once it is stored (and rejects when it could not be); a synchronous method returns at once, and a
 * failure to store is logged by the channel.
 */
export function publishOnCall(target: HandlerTarget, channelOf: (args: unknown[]) => Channel): void {
  const { instance, method } = target;
  Object.defineProperty(instance, target.methodName, {
    configurable: true,
    writable: true,
    value: function publishing(this: unknown, ...args: unknown[]) {
      const channel = channelOf(args);
      // A history channel (or a concrete channel of a history pattern) answers a Promise of its storing.
      const publish = (value: unknown) => channel.publish(value) as void | Promise<unknown>;
      const result = method.apply(this, args);
      if (result instanceof Promise) {
        return result.then((value: unknown) => {
          const stored = publish(value);
          return stored ? stored.then(() => value) : value;
        });
      }
      void publish(result);
      return result;
    },
  });
}

/**
 * The concrete channel a call of a pattern's method publishes to: its name from the arguments at the
 * `@ChannelParam` positions (`rooms(roomId)` → `rooms/<roomId>`).
 */
export function concreteChannelOf(
  family: FanOutChannelFamily,
  params: readonly BoundParam[],
): (args: unknown[]) => Channel {
  const positions = params.filter((param) => param.kind === CHANNEL_PARAM);
  return (args) => {
    const values: Record<string, unknown> = {};
    for (const { index, property } of positions) {
      if (property !== undefined) values[property] = args[index];
      else if (typeof args[index] === 'object' && args[index] !== null) Object.assign(values, args[index]);
    }
    return family.concrete(values);
  };
}
