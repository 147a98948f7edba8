import { globalWebSocket, type WebSocketConstructor } from './platform.js';

/**
 * The name of the optional peer, in a variable: a bundler for browsers does not follow an import
 * whose specifier it cannot read, so a browser bundle never pulls `ws` in (browsers have a WebSocket).
 */
const WS_PACKAGE = 'ws';

let wsLoading: Promise<WebSocketConstructor | undefined> | undefined;

/**
 * The WebSocket class to use: the one given, else the platform's, else `ws` (Node 20), imported
 * once, on first use; undefined when there is none. `needsHeaders` (a token sent as a header) puts
 * `ws` first, since no platform WebSocket can set headers.
 */
export async function resolveWebSocketClass(
  given: WebSocketConstructor | undefined,
  needsHeaders: boolean,
): Promise<WebSocketConstructor | undefined> {
  if (given !== undefined) return given;
  const platform = globalWebSocket();
  if (needsHeaders) return (await loadWs()) ?? platform;
  return platform ?? loadWs();
}

function loadWs(): Promise<WebSocketConstructor | undefined> {
  wsLoading ??= import(/* webpackIgnore: true */ /* @vite-ignore */ WS_PACKAGE).then(
    (module: { default?: unknown; WebSocket?: unknown }) => {
      const found = module.WebSocket ?? module.default;
      return typeof found === 'function' ? (found as WebSocketConstructor) : undefined;
    },
    () => undefined,
  );
  return wsLoading;
}
