import type { SocketActionMetadata } from '../decorators/socket-action.decorator.js';
import type { SocketChannelMetadata } from '../decorators/socket-channel.decorator.js';
import type { HandlerTarget } from '../handlers/handler-target.js';

export interface DiscoveredAction {
  target: HandlerTarget;
  metadata: SocketActionMetadata;
}

export interface DiscoveredChannel {
  target: HandlerTarget;
  metadata: SocketChannelMetadata;
}

/** An `@OnSocketConnect()`/`@OnSocketDisconnect()` method, bound to its instance. */
export interface DiscoveredHook {
  /** `Class.method()`, for log lines. */
  name: string;
  run: (...args: unknown[]) => unknown;
}

/** What the app declares, as found on its providers and controllers: nothing compiled or registered yet. */
export interface DiscoveredHandlers {
  actions: DiscoveredAction[];
  channels: DiscoveredChannel[];
  connectHooks: DiscoveredHook[];
  disconnectHooks: DiscoveredHook[];
}
