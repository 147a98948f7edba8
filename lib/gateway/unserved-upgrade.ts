import type { IncomingMessage, Server } from 'node:http';
import type { Socket } from 'node:net';
import type { Duplex } from 'node:stream';
import type { WsAdapter } from '@nestjs/platform-ws';

type UpgradeListener = (request: IncomingMessage, socket: Duplex, head: Buffer) => void;

/**
 * What this file reads of `WsAdapter` (Nest 12), which is not its public API: the WebSocket servers
 * it serves on each port (`path` set on each), and the one 'upgrade' listener it puts on a port's
 * HTTP server. Should a Nest release change them, `answerUnservedUpgrades` does nothing and
 * upgrades behave as Nest makes them.
 */
interface WsAdapterRegistries {
  wsServersRegistry?: Map<number, Array<{ path?: unknown }>>;
  upgradeListenersRegistry?: Map<number, UpgradeListener>;
}

/** `WsAdapter`'s key for the servers it serves on the app's own HTTP server. */
const APP_SERVER_PORT = 0;

/**
 * How long an upgrade that another 'upgrade' listener of the app may own is left to it before the
 * 404, when that listener has neither touched the socket (written, closed, listened to it) nor let
 * it be: time for an authenticator to answer before the listener takes the socket.
 */
const UNCLAIMED_UPGRADE_MS = 1000;

const NOT_FOUND_BODY = 'Not Found';
const NOT_FOUND =
  'HTTP/1.1 404 Not Found\r\nConnection: close\r\nContent-Type: text/plain; charset=utf-8\r\n' +
  `Content-Length: ${NOT_FOUND_BODY.length}\r\n\r\n${NOT_FOUND_BODY}`;

/**
 * Answers `HTTP/1.1 404` to an upgrade request for a path no WebSocket server of the app serves.
 * Nest's `WsAdapter` destroys such a socket without a word (clients see "socket hang up"), and with
 * it the upgrades that another listener of the app (a `ws` server of the user's, on the same HTTP
 * server) would have taken. So its listener is replaced by one that hands it the paths it serves
 * (SocketAPI's and the Nest gateways'), and answers the others itself: at once when nothing else
 * listens for upgrades, else only if no other listener has claimed the socket after a grace.
 * Returns what undoes it (the adapter's listener back in place), for the shutdown.
 */
export function answerUnservedUpgrades(server: Server, adapter: WsAdapter): () => void {
  const registries = adapter as unknown as WsAdapterRegistries;
  const adapterListener = registries.upgradeListenersRegistry?.get(APP_SERVER_PORT);
  if (!adapterListener || !server.listeners('upgrade').includes(adapterListener)) return () => undefined;
  const dispatch: UpgradeListener = (request, socket, head) => {
    if (servesPath(registries, request)) {
      adapterListener.call(server, request, socket, head);
      return;
    }
    // Node no longer listens for the socket's errors once it emits 'upgrade'; a reset must not crash the app.
    socket.on('error', ignoreError);
    if (server.listenerCount('upgrade') === 1) {
      notFound(socket);
      return;
    }
    // This listener runs first; the others run after it, in this same tick, and may take the socket.
    const untouched = listenerTotal(socket);
    setTimeout(() => {
      if (isUnclaimed(socket, untouched)) notFound(socket);
    }, UNCLAIMED_UPGRADE_MS).unref();
  };
  server.off('upgrade', adapterListener);
  server.prependListener('upgrade', dispatch);
  return () => {
    server.off('upgrade', dispatch);
    server.on('upgrade', adapterListener);
  };
}

/** Whether `WsAdapter` serves the request's path (by its own rule); if the URL cannot be read, it answers. */
function servesPath(registries: WsAdapterRegistries, request: IncomingMessage): boolean {
  let pathname: string;
  try {
    pathname = new URL(request.url ?? '', `ws://${request.headers.host}/`).pathname;
  } catch {
    return true;
  }
  const servers = registries.wsServersRegistry?.get(APP_SERVER_PORT) ?? [];
  for (const wsServer of servers) {
    if (wsServer.path === pathname) return true;
  }
  return false;
}

/** Nobody wrote to the socket, closed it, or listened to it since `untouched` listeners were counted. */
function isUnclaimed(socket: Duplex, untouched: number): boolean {
  return (
    !socket.destroyed && socket.writable && (socket as Socket).bytesWritten === 0 && listenerTotal(socket) === untouched
  );
}

function listenerTotal(socket: Duplex): number {
  let total = 0;
  for (const event of socket.eventNames()) total += socket.listenerCount(event);
  return total;
}

function notFound(socket: Duplex): void {
  socket.once('finish', () => socket.destroy());
  socket.end(NOT_FOUND);
}

function ignoreError(): void {
  // The client went away before or during the 404: nothing to answer any more.
}
