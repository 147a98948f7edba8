import 'reflect-metadata';
import { Injectable } from '@nestjs/common';
import { WsException } from '@nestjs/websockets';
import {
  Connection,
  Data,
  SocketAction,
  SocketApiModule,
  type SocketConnection,
  type HandshakeRequest,
  type SocketApiModuleOptions,
  type SocketAuthenticator,
} from '../../lib/index.js';
import type { Socket } from 'node:net';
import { useCleanup } from '../support/cleanup.js';
import { CapturingLogger } from '../support/capturing-logger.js';
import { forceGc } from '../support/force-gc.js';
import { startApp, type TestApp } from '../support/test-app.js';
import { sleep, waitFor } from '../support/wait.js';
import { refusedUpgrade, TestClient } from '../support/ws-client.js';

/**
 * Regressions found by the black-box attack run after issue 8: each test failed on the merged code.
 */

/** What a faulty authenticator throws for the credential `t` (query at connect, `data.t` at renewal). */
function thrown(kind: unknown): unknown {
  switch (kind) {
    case 'null-prototype':
      return Object.create(null); // String() of it throws
    case 'proxy':
      return new Proxy(
        {},
        {
          getPrototypeOf: () => {
            throw new Error('trap');
          },
        },
      ); // `instanceof` throws
    case 'ws-bigint':
      return new WsException({ code: 'CUSTOM', detail: 10n }); // its payload cannot be serialized
    case 'error':
      return new Error('the token library failed');
    default:
      return undefined;
  }
}

const faultyAuth: SocketAuthenticator<string> = {
  authenticate(request: HandshakeRequest) {
    const failure = thrown(request.query.t);
    // eslint-disable-next-line @typescript-eslint/only-throw-error -- what the authenticator throws is the point: not always an Error
    if (failure !== undefined) throw failure;
    return { user: 'ada', subject: 'ada' };
  },
  renew(credentials: unknown) {
    const failure = thrown((credentials as { t?: unknown } | undefined)?.t);
    // eslint-disable-next-line @typescript-eslint/only-throw-error -- what the authenticator throws is the point: not always an Error
    if (failure !== undefined) throw failure;
    return { user: 'ada', subject: 'ada' };
  },
};

describe('what an authenticator throws, at the handshake and at renewal', () => {
  const cleanup = useCleanup();
  let logger: CapturingLogger;

  async function start(options: SocketApiModuleOptions = {}): Promise<TestApp> {
    logger = new CapturingLogger();
    const imports = [SocketApiModule.forRoot({ auth: faultyAuth, ...options })];
    return cleanup.track(await startApp({ imports }, (app) => app.useLogger(logger)));
  }

  async function open(url: string): Promise<TestClient> {
    const client = await TestClient.open(url);
    cleanup.add(() => client.socket.terminate());
    return client;
  }

  const unprintable = ['null-prototype', 'proxy'];
  it.each(unprintable)('a handshake whose authenticator throws a %s gets 500; the server lives', async (kind) => {
    const { url } = await start({ handshakeTimeoutMs: 20_000 });
    expect(await refusedUpgrade(`${url}/?t=${kind}`)).toBe(500);
    expect(await refusedUpgrade(`${url}/?t=${kind}`)).toBe(500);
    const client = await open(`${url}/?t=ok`);
    client.send({ type: 'ping', id: 1 });
    expect(await client.next()).toEqual([{ type: 'pong', id: 1 }]);
    expect(logger.errors.map((line) => line.message)).toEqual(['Authentication of a WebSocket upgrade failed']);
  });

  it.each([...unprintable, 'ws-bigint'])('a renewal whose authenticator throws %s: INTERNAL_ERROR', async (kind) => {
    const { url } = await start();
    const client = await open(`${url}/?t=ok`);
    client.send({ type: 'auth', data: { t: kind }, id: 1 });
    client.send({ type: 'auth', data: { t: kind }, id: 2 });
    client.send({ type: 'ping', id: 3 });
    expect(await client.next(3)).toEqual([
      { type: 'error', code: 'INTERNAL_ERROR', message: 'Internal server error', id: 1 },
      { type: 'error', code: 'INTERNAL_ERROR', message: 'Internal server error', id: 2 },
      { type: 'pong', id: 3 },
    ]);
    client.send({ type: 'auth', data: {}, id: 4 });
    expect(await client.next()).toEqual([{ type: 'auth', status: 'renewed', id: 4 }]);
  });

  it('1,000 renewals that make the authenticator throw log one error line, not 1,000', async () => {
    const { url } = await start({ errorLogIntervalMs: 60_000 });
    const client = await open(`${url}/?t=ok`);
    for (let id = 0; id < 1000; id++) client.send({ type: 'auth', data: { t: 'error' }, id });
    const replies = await client.next(1000, 20_000);
    expect(replies.every((reply) => (reply as { code?: string }).code === 'INTERNAL_ERROR')).toBe(true);
    const lines = logger.errors.filter((line) => line.message.startsWith('Renewal of credentials failed'));
    expect(lines).toHaveLength(1);
    expect(lines[0].details).toContain('the token library failed');
  });

  it('50 upgrades that make the authenticator throw log one error line, not 50', async () => {
    const { url } = await start({ errorLogIntervalMs: 60_000 });
    for (let i = 0; i < 50; i++) expect(await refusedUpgrade(`${url}/?t=error`)).toBe(500);
    const lines = logger.errors.filter((line) => line.message.startsWith('Authentication of a WebSocket upgrade'));
    expect(lines).toHaveLength(1);
  });
});

interface CloseRequest {
  code: number;
  reason: string;
}

@Injectable()
class ClosingService {
  /** Closes its connection with what the caller asks, after a while (so that frames wait behind it). */
  /** Never settles: every later frame of the connection waits behind it. */
  @SocketAction('hold')
  hold(): Promise<never> {
    return new Promise(() => undefined);
  }

  @SocketAction('close_later')
  async closeLater(@Connection() connection: SocketConnection, @Data() data: CloseRequest): Promise<string> {
    await sleep(50);
    connection.close(data.code, data.reason);
    return 'closed';
  }
}

describe('connection.close() with a code or reason ws cannot send', () => {
  const cleanup = useCleanup();

  it.each([
    ['a reason over 123 bytes', 4000, 'x'.repeat(200)],
    ['code 1005', 1005, 'no status'],
  ])('with %s throws to the handler, and the frames waiting behind it are still answered', async (_, code, reason) => {
    const t = cleanup.track(await startApp({ imports: [SocketApiModule.forRoot()], providers: [ClosingService] }));
    const client = await TestClient.open(t.url);
    cleanup.add(() => client.socket.terminate());
    client.send({ type: 'action', channel: 'close_later', data: { code, reason }, id: 1 });
    client.send({ type: 'ping', id: 2 });
    const [failure, pong] = await client.next(2);
    expect(failure).toMatchObject({ type: 'error', code: 'INTERNAL_ERROR', id: 1 });
    expect(pong).toEqual({ type: 'pong', id: 2 });
    // Still open and still handled.
    client.send({ type: 'action', channel: 'close_later', data: { code: 4000, reason: 'bye' }, id: 3 });
    expect(await client.closed()).toBe(4000);
  });
});

describe('frames waiting behind a handler hold their own bytes only', () => {
  const cleanup = useCleanup();

  it('small frames interleaved with large refused ones do not pin the 64 KiB read chunks they arrived in', async () => {
    const gc = forceGc();
    const t = cleanup.track(
      await startApp({ imports: [SocketApiModule.forRoot({ heartbeat: false })], providers: [ClosingService] }),
    );
    const serverSockets: Socket[] = [];
    t.server.on('connection', (socket: Socket) => serverSockets.push(socket));
    const attacker = await TestClient.open(t.url);
    cleanup.add(() => attacker.socket.terminate());
    attacker.send({ type: 'action', channel: 'hold', id: 0 });
    gc();
    const before = process.memoryUsage().arrayBuffers;
    // 3 large frames fill maxPendingBytes (256 KiB) but 64 KiB; then each small frame (~40 B) waits,
    // and the large one after it is refused (~130 B charged): ~360 small frames fit in what is left,
    // each arriving in its own read chunk of the socket.
    const small = JSON.stringify({ type: 'action', channel: 'hold', id: 1 });
    const envelope = JSON.stringify({ type: 'action', channel: 'hold', data: [''], id: 2 });
    const large = envelope.replace('[""]', `["${'p'.repeat(64 * 1024 - envelope.length)}"]`);
    expect(large.length).toBe(64 * 1024);
    for (let i = 0; i < 3; i++) attacker.send(large);
    for (let i = 0; i < 360; i++) {
      attacker.send(small);
      attacker.send(large);
      if (i % 8 === 7) await sleep(2);
    }
    // ws's client keeps its TCP socket in `_socket`: what it wrote is what the server must have read.
    const tcp = (attacker.socket as unknown as { _socket: Socket })._socket;
    const read = () => serverSockets.reduce((sum, socket) => sum + socket.bytesRead, 0);
    await waitFor(() => read() >= tcp.bytesWritten, {
      what: 'the server to read everything the client wrote',
      detail: () => `read ${read()} of ${tcp.bytesWritten} bytes`,
      timeoutMs: 20_000,
      intervalMs: 20,
    });
    await sleep(100);
    gc();
    const grown = process.memoryUsage().arrayBuffers - before;
    // Charged to the queue: at most maxPendingBytes and the refusals (~0.5 MiB). Pinning the read
    // chunks, the same frames held 20 to 30 MiB.
    expect(grown).toBeLessThan(8 * 1024 * 1024);
    expect(attacker.closeCode).toBeUndefined();
  });
});
