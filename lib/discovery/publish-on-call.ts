import type { Channel } from '../channels/channel.js';
import type { HandlerTarget } from '../handlers/handler-target.js';

/**
 * SocketAPI's semantics: calling a channel method from server code runs it and publishes what it
 * returns (`this.chat(message)` is how an app publishes). The method's own code cannot know that, so
 * the DI instance gets an own property that wraps it: `this.chat()` and `service.chat()` both publish,
 * while the library keeps `target.method`, the original, to run it when a client subscribes (that
 * must answer the subscriber alone, not publish). The prototype is left alone, so other instances of
 * the class (made with `new`, outside DI) are plain objects.
 */
export function publishOnCall(target: HandlerTarget, channel: Channel): void {
  const { instance, method } = target;
  const publish = (value: unknown) => {
    channel.publish(value);
    return value;
  };
  Object.defineProperty(instance, target.methodName, {
    configurable: true,
    writable: true,
    value: function publishing(this: unknown, ...args: unknown[]) {
      const result = method.apply(this, args);
      return result instanceof Promise ? result.then(publish) : publish(result);
    },
  });
}
