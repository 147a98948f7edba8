import type { FanOutChannel } from '../channels/fan-out-channel.js';
import type { HandlerTarget } from '../handlers/handler-target.js';

/**
 * SocketAPI's semantics: calling a channel method from server code runs it and publishes what it
 * returns (`this.chat(message)` is how an app publishes). The method's own code cannot know that, so
 * the DI instance gets an own property that wraps it: `this.chat()` and `service.chat()` both publish,
 * while the library keeps `target.method`, the original, to run it when a client subscribes (that
 * must answer the subscriber alone, not publish). The prototype is left alone, so other instances of
 * the class (made with `new`, outside DI) are plain objects.
 *
 * A history channel's publication is stored before it goes out: an `async` method's Promise resolves
 * once it is stored (and rejects when it could not be); a synchronous method returns at once, and a
 * failure to store is logged by the channel.
 */
export function publishOnCall(target: HandlerTarget, channel: FanOutChannel): void {
  const { instance, method } = target;
  const publishSync = (value: unknown) => {
    void channel.publish(value);
    return value;
  };
  const publish = (value: unknown) => {
    const stored = channel.publish(value);
    return stored ? stored.then(() => value) : value;
  };
  Object.defineProperty(instance, target.methodName, {
    configurable: true,
    writable: true,
    value: function publishing(this: unknown, ...args: unknown[]) {
      const result = method.apply(this, args);
      return result instanceof Promise ? result.then(publish) : publishSync(result);
    },
  });
}
