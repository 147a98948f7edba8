import { createServer, type AddressInfo, type Socket } from 'node:net';
import { WebSocketServer, type WebSocket } from 'ws';
import { ClientErrorCode, SocketApiClient, SocketApiError } from '../../client/src/index.js';
import { useCleanup } from '../support/cleanup.js';
import { sleep, waitFor } from '../support/wait.js';
import { stateReached } from './support/observe.js';

/**
 * A raw server the test controls: it answers `ping` with `pong` and actions with their data, until
 * told to go silent (a peer that vanished without closing: a laptop asleep, a NAT that forgot the
 * connection), when it keeps the socket open and answers nothing.
 */
class ControlledServer {
  readonly server: WebSocketServer;
  readonly sockets: WebSocket[] = [];
  readonly received: Array<{ socket: number; frame: { type: string } }> = [];
  silent = false;
  /** The `expiresAt` of the server's answers to `auth` frames (ms since the epoch, by the server's clock). */
  renewedUntil = () => Date.now() + 60_000;

  constructor() {
    this.server = new WebSocketServer({ host: '127.0.0.1', port: 0 });
    this.server.on('connection', (socket) => {
      const index = this.sockets.push(socket) - 1;
      socket.on('message', (data: Buffer) => {
        const frame = JSON.parse(data.toString()) as { type: string; id?: number; channel?: string; data?: unknown };
        this.received.push({ socket: index, frame });
        if (this.silent) return;
        if (frame.type === 'ping') socket.send(JSON.stringify({ type: 'pong' }));
        if (frame.type === 'auth') {
          socket.send(JSON.stringify({ type: 'auth', id: frame.id, data: { expiresAt: this.renewedUntil() } }));
        }
        if (frame.type === 'action' && frame.channel === 'junk') {
          // Everything a broken or hostile server (or a proxy) could send around a reply.
          const junk: Array<string | Buffer> = [
            'not json',
            '[1,2]',
            'null',
            '42',
            '"text"',
            '{}',
            '{"type":5}',
            Buffer.from([0, 1, 2]),
            '{"type":"data","channel":"__proto__","data":{"polluted":true}}',
            '{"type":"data","channel":"constructor","data":1}',
            '{"type":"subscribed","channel":"nobody","id":999999}',
            '{"type":"error","code":"X","id":"not-a-number"}',
            '{"type":"auth","id":123456,"data":null}',
            '{"type":"contract","id":7,"hash":5}',
            '{"__proto__":{"polluted":true},"type":"pong"}',
            ...Array.from({ length: 1000 }, (_, n) => `{"type":"unsubscribed","channel":"c${n}","id":${n}}`),
          ];
          for (const text of junk) socket.send(text);
          // The reply, written by hand: an object literal's `__proto__` would set a prototype, not a key.
          socket.send(
            `{"type":"action","channel":"junk","status":"completed","id":${frame.id},"data":{"__proto__":{"polluted":true}}}`,
          );
          // A second reply, then an error frame, for the settled call.
          socket.send(
            JSON.stringify({ type: 'action', channel: 'junk', status: 'completed', id: frame.id, data: 'twice' }),
          );
          socket.send(JSON.stringify({ type: 'error', code: 'LATE', message: 'late', id: frame.id }));
          return;
        }
        if (frame.type === 'action') {
          socket.send(
            JSON.stringify({
              type: 'action',
              channel: frame.channel,
              status: 'completed',
              id: frame.id,
              data: frame.data,
            }),
          );
        }
      });
    });
  }

  listening(): Promise<void> {
    return new Promise((resolve) => this.server.once('listening', () => resolve()));
  }

  get url(): string {
    return `ws://127.0.0.1:${(this.server.address() as AddressInfo).port}`;
  }

  framesOfType(type: string): number {
    return this.received.filter((entry) => entry.frame.type === type).length;
  }

  pingsFrom(socket: number): number {
    return this.received.filter((entry) => entry.socket === socket && entry.frame.type === 'ping').length;
  }

  close(): Promise<void> {
    for (const socket of this.sockets) socket.terminate();
    return new Promise((resolve) => this.server.close(() => resolve()));
  }
}

describe("the client's own liveness check", () => {
  const cleanup = useCleanup();
  let server: ControlledServer;

  beforeEach(async () => {
    server = cleanup.track(new ControlledServer());
    await server.listening();
  });

  const newClient = () =>
    cleanup.track(
      new SocketApiClient(server.url, {
        heartbeat: { idleMs: 100, timeoutMs: 150 },
        reconnect: { initialDelayMs: 20, maxDelayMs: 50 },
      }),
    );

  it('an idle connection sends pings and, answered, stays up', async () => {
    const client = newClient();
    await stateReached(client, 'open');
    await sleep(700);
    expect(server.pingsFrom(0)).toBeGreaterThanOrEqual(3);
    expect(server.sockets).toHaveLength(1);
    expect(client.state.status).toBe('open');
  });

  it('a busy connection needs no ping: any frame shows it alive', async () => {
    const client = newClient();
    await stateReached(client, 'open');
    const until = Date.now() + 600;
    while (Date.now() < until) {
      await client.action('echo', 'busy');
      await sleep(20);
    }
    expect(server.pingsFrom(0)).toBe(0);
  });

  it('a silent server is found dead within idle + timeout, replaced; the action in flight rejects with maybeExecuted', async () => {
    const client = newClient();
    await stateReached(client, 'open');
    server.silent = true;
    const started = Date.now();
    const lost = client.action('echo', 'never answered').catch((error: unknown) => error);
    const reconnecting = await stateReached(client, 'reconnecting');
    const detectedAfter = Date.now() - started;
    expect(reconnecting.error?.code).toBe(ClientErrorCode.DEAD_CONNECTION);
    // The action was a frame: it counts as activity on the client's side only, so the ping goes out
    // 100 ms after the last frame received, and the connection is dead 150 ms later.
    expect(detectedAfter).toBeGreaterThanOrEqual(150);
    expect(detectedAfter).toBeLessThan(1000);
    const error = (await lost) as SocketApiError;
    expect([error.code, error.maybeExecuted]).toEqual([ClientErrorCode.DISCONNECTED, true]);

    server.silent = false;
    await stateReached(client, 'open');
    expect(server.sockets).toHaveLength(2);
    expect(await client.action('echo', 'on the new connection')).toBe('on the new connection');
  });

  it('a handshake the server never answers is given up after connectTimeoutMs and tried again', async () => {
    // A TCP server that accepts and says nothing: the upgrade request gets no response.
    const accepted: Socket[] = [];
    const mute = createServer((socket) => accepted.push(socket));
    cleanup.add(() => {
      accepted.forEach((socket) => socket.destroy());
      return new Promise((resolve) => mute.close(resolve));
    });
    await new Promise<void>((resolve) => mute.listen(0, '127.0.0.1', resolve));
    const client = cleanup.track(
      new SocketApiClient(`ws://127.0.0.1:${(mute.address() as AddressInfo).port}`, {
        connectTimeoutMs: 200,
        reconnect: { initialDelayMs: 20, maxDelayMs: 50 },
      }),
    );
    const reconnecting = await stateReached(client, 'reconnecting');
    expect(reconnecting.error?.code).toBe(ClientErrorCode.CONNECTION_LOST);
    await waitFor(() => accepted.length >= 3);
  });

  it("a client whose clock is ahead of the server's (renewed tokens look expired) does not renew in a loop", async () => {
    // The server's answer gives an expiry that the client's clock has passed already.
    server.renewedUntil = () => Date.now() - 60_000;
    const client = cleanup.track(
      new SocketApiClient(server.url, {
        heartbeat: false,
        auth: { token: () => ({ token: 'opaque', expiresAt: Date.now() + 60_000 }) },
      }),
    );
    await stateReached(client, 'open');
    await client.renewCredentials();
    await sleep(500);
    expect(server.framesOfType('auth')).toBeLessThanOrEqual(2);
  });

  it('frames a broken or hostile server may send crash nothing, settle nothing twice, pollute nothing', async () => {
    const client = newClient();
    await stateReached(client, 'open');
    const settled: unknown[] = [];
    const reply = await client.action('junk', 'x').then(
      (value) => (settled.push(value), value),
      (error: unknown) => (settled.push(error), error),
    );
    expect(reply).toEqual(JSON.parse('{"__proto__":{"polluted":true}}'));
    expect(await client.action('echo', 'after')).toBe('after');
    expect(settled).toHaveLength(1);
    expect(({} as { polluted?: unknown }).polluted).toBeUndefined();
    expect(client.state.status).toBe('open');
    expect(client.actionsInFlight).toBe(0);
  });

  it('heartbeat: false sends no ping and keeps a silent connection', async () => {
    const client = cleanup.track(new SocketApiClient(server.url, { heartbeat: false }));
    await stateReached(client, 'open');
    server.silent = true;
    await sleep(500);
    expect(server.pingsFrom(0)).toBe(0);
    expect(client.state.status).toBe('open');
    await waitFor(() => server.sockets.length === 1);
  });
});
