import 'reflect-metadata';
import { randomBytes } from 'node:crypto';
import type { IncomingMessage } from 'node:http';
import { connect } from 'node:net';
import type { Duplex } from 'node:stream';
import { Injectable } from '@nestjs/common';
import { WsAdapter } from '@nestjs/platform-ws';
import { SubscribeMessage, WebSocketGateway } from '@nestjs/websockets';
import { WebSocketServer } from 'ws';
import { SocketAction, SocketApiModule } from '../lib/index.js';
import { PLATFORMS } from './support/platforms.js';
import { startApp, type TestApp } from './support/test-app.js';
import { TestClient } from './support/ws-client.js';

@Injectable()
class Ping {
  @SocketAction('ping_me')
  pingMe(): string {
    return 'pong';
  }
}

/** A Nest gateway on platform-ws, on a path of its own, next to SocketAPI's. */
@WebSocketGateway({ path: '/gateway' })
class NestGateway {
  @SubscribeMessage('hello')
  hello(): { event: string; data: string } {
    return { event: 'hello', data: 'from the gateway' };
  }
}

interface UpgradeAnswer {
  /** The first line the server answered, if any. */
  statusLine?: string;
  /** The server closed the connection after it. */
  closed: boolean;
}

/** A WebSocket upgrade request written by hand; the status line, and whether the server then closed (within 3 s). */
function upgrade(url: string, path: string): Promise<UpgradeAnswer> {
  const { port } = new URL(url);
  return new Promise((resolve) => {
    const socket = connect(Number(port), '127.0.0.1');
    let received = '';
    const done = (closed: boolean) => {
      clearTimeout(timer);
      socket.destroy();
      const end = received.indexOf('\r\n');
      resolve({ statusLine: end === -1 ? undefined : received.slice(0, end), closed });
    };
    const timer = setTimeout(() => done(false), 3000);
    socket.on('connect', () =>
      socket.write(
        `GET ${path} HTTP/1.1\r\nHost: 127.0.0.1:${port}\r\nUpgrade: websocket\r\nConnection: Upgrade\r\n` +
          `Sec-WebSocket-Key: ${randomBytes(16).toString('base64')}\r\nSec-WebSocket-Version: 13\r\n\r\n`,
      ),
    );
    socket.on('data', (chunk: Buffer) => {
      received += chunk.toString();
      // An accepted upgrade stays open: no need to wait for a close that will not come.
      if (received.startsWith('HTTP/1.1 101 ') && received.includes('\r\n\r\n')) done(false);
    });
    socket.on('error', () => undefined);
    socket.on('close', () => done(true));
  });
}

const notFound: UpgradeAnswer = { statusLine: 'HTTP/1.1 404 Not Found', closed: true };
const switched: UpgradeAnswer = { statusLine: 'HTTP/1.1 101 Switching Protocols', closed: false };

/** Calls SocketAPI's action on `path`: the socket there is SocketAPI's and works. */
async function socketApiAnswers(t: TestApp, path: string): Promise<unknown> {
  const client = await TestClient.open(`${t.url}${path}`);
  client.send({ type: 'action', channel: 'ping_me', id: 1 });
  const [reply] = await client.next();
  await client.close();
  return reply;
}

const pong = { type: 'action', channel: 'ping_me', status: 'completed', data: 'pong', id: 1 };

describe.each(PLATFORMS)('an upgrade request to a path nobody serves, on %s', (platform) => {
  let t: TestApp | undefined;
  let ownServer: WebSocketServer | undefined;

  afterEach(async () => {
    ownServer?.close();
    ownServer = undefined;
    await t?.close();
    t = undefined;
  });

  /** Closes the app: the HTTP server is left without an 'upgrade' listener of SocketAPI's or Nest's. */
  async function closedLeavesNoUpgradeListener(): Promise<void> {
    const { app, server } = t!;
    t = undefined;
    await app.close();
    expect(server.listenerCount('upgrade')).toBe(0);
  }

  it('gets HTTP 404 and the connection closed; the socket path still upgrades', async () => {
    t = await startApp(
      { imports: [SocketApiModule.forRoot({ path: '/ws', heartbeat: false })], providers: [Ping] },
      undefined,
      platform,
    );
    expect(await upgrade(t.url, '/nope')).toEqual(notFound);
    expect(await upgrade(t.url, '/')).toEqual(notFound);
    expect(await upgrade(t.url, '/ws/deeper')).toEqual(notFound);
    expect(await upgrade(t.url, '/ws?token=x')).toEqual(switched);
    expect(await socketApiAnswers(t, '/ws')).toEqual(pong);
    await closedLeavesNoUpgradeListener();
  });

  it('leaves the path of a Nest gateway on platform-ws to it', async () => {
    t = await startApp(
      { imports: [SocketApiModule.forRoot({ path: '/ws', heartbeat: false })], providers: [Ping, NestGateway] },
      (app) => void app.useWebSocketAdapter(new WsAdapter(app)),
      platform,
    );
    expect(await upgrade(t.url, '/nope')).toEqual(notFound);
    const client = await TestClient.open(`${t.url}/gateway`);
    client.send({ event: 'hello' });
    expect(await client.next()).toEqual([{ event: 'hello', data: 'from the gateway' }]);
    await client.close();
    expect(await socketApiAnswers(t, '/ws')).toEqual(pong);
    await closedLeavesNoUpgradeListener();
  });

  it("leaves the path of the app's own ws server on the same HTTP server to it, even when it takes the socket late", async () => {
    t = await startApp(
      { imports: [SocketApiModule.forRoot({ path: '/ws', heartbeat: false })], providers: [Ping] },
      undefined,
      platform,
    );
    const own = new WebSocketServer({ noServer: true });
    ownServer = own;
    own.on('connection', (socket) => socket.send(JSON.stringify({ from: 'own server' })));
    // As ws's README has it: listen to the socket's errors at once, take the socket once the
    // (here slow: longer than SocketAPI's grace) authentication is done, leave other paths alone.
    t.server.on('upgrade', (request: IncomingMessage, socket: Duplex, head: Buffer) => {
      if (request.url !== '/own') return;
      const onError = () => socket.destroy();
      socket.on('error', onError);
      setTimeout(() => {
        socket.off('error', onError);
        own.handleUpgrade(request, socket, head, (ws) => own.emit('connection', ws, request));
      }, 1500);
    });
    const client = await TestClient.open(`${t.url}/own`);
    expect(await client.next()).toEqual([{ from: 'own server' }]);
    await client.close();
    // Taken by nobody: 404 after the grace.
    expect(await upgrade(t.url, '/nope')).toEqual(notFound);
    expect(await socketApiAnswers(t, '/ws')).toEqual(pong);
  });
});
