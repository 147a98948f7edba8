import { globalWebSocket, type WebSocketConstructor } from './platform.js';

/**
 * The name of the optional peer, in a variable: a bundler for browsers does not follow an import
 * whose specifier it cannot read, so a browser bundle never pulls `ws` in (browsers have a WebSocket).
 */
const WS_PACKAGE = 'ws';

let wsLoading: Promise<WebSocketConstructor | undefined> | undefined;

/**
 * The WebSocket class to use: the one given, else the platform's, else `ws` (Node 20), imported
 * once, on first use; undefined when there is none.
 */
export function resolveWebSocketClass(
  given: WebSocketConstructor | undefined,
): Promise<WebSocketConstructor | undefined> {
  if (given !== undefined) return Promise.resolve(given);
  const platform = globalWebSocket();
  if (platform !== undefined) return Promise.resolve(platform);
  wsLoading ??= import(/* webpackIgnore: true */ /* @vite-ignore */ WS_PACKAGE).then(
    (module: { default?: unknown; WebSocket?: unknown }) => {
      const found = module.WebSocket ?? module.default;
      return typeof found === 'function' ? (found as WebSocketConstructor) : undefined;
    },
    () => undefined,
  );
  return wsLoading;
}
