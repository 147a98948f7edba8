import 'reflect-metadata';
import { Injectable, type CanActivate, type ExecutionContext } from '@nestjs/common';
import { of } from 'rxjs';
import {
  Connection,
  SocketAction,
  SocketApiModule,
  type HandshakeRequest,
  type SocketApiModuleOptions,
  type SocketConnection,
} from '../../lib/index.js';
import { startApp, type TestApp } from '../support/test-app.js';
import { refusedUpgrade, TestClient } from '../support/ws-client.js';

// The exact edges of the limits and of the handshake: each test fails if a bound moves by one, a
// comparison flips or a count is lost (the one-line bugs a mutation run plants).

@Injectable()
class WhoAmI {
  @SocketAction('whoami')
  whoami(@Connection() connection: SocketConnection) {
    return connection.user ?? null;
  }
}

let t: TestApp | undefined;
const clients: TestClient[] = [];

async function app(options: SocketApiModuleOptions): Promise<TestApp> {
  t = await startApp({ imports: [SocketApiModule.forRoot(options)], providers: [WhoAmI] });
  return t;
}

async function open(url: string, options?: Parameters<typeof TestClient.open>[1]): Promise<TestClient> {
  const client = await TestClient.open(url, options);
  clients.push(client);
  return client;
}

afterEach(async () => {
  for (const client of clients.splice(0)) client.socket.terminate();
  await t?.close();
  t = undefined;
});

const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));
const pong = (id: number) => ({ type: 'pong', id });
const refused = (id: number) => ({ type: 'error', code: 'RATE_LIMITED', message: 'Too many requests.', id });
const range = (from: number, to: number) => Array.from({ length: to - from + 1 }, (_, index) => from + index);

function pings(client: TestClient, ids: number[]): void {
  for (const id of ids) client.send({ type: 'ping', id });
}

/** Frames until the server closes the connection, and the close code. */
async function untilClosed(client: TestClient): Promise<{ frames: unknown[]; code: number }> {
  const code = await client.closed();
  return { frames: client.frames.splice(0), code };
}

describe('rate limit: exact edges of the token bucket', () => {
  // perSecond 0.01: one token per 100 s, so nothing refills while a test runs.
  it('answers exactly closeAfter refusals in a row with RATE_LIMITED, then closes with 1008', async () => {
    const { url } = await app({ rateLimit: { burst: 3, perSecond: 0.01, closeAfter: 4 } });
    const client = await open(url);
    pings(client, range(1, 20));
    expect(await untilClosed(client)).toEqual({
      frames: [pong(1), pong(2), pong(3), ...range(4, 7).map(refused)],
      code: 1008,
    });
  });

  it('closeAfter defaults to burst', async () => {
    const { url } = await app({ rateLimit: { burst: 2, perSecond: 0.01 } });
    const client = await open(url);
    pings(client, range(1, 10));
    expect(await untilClosed(client)).toEqual({ frames: [pong(1), pong(2), refused(3), refused(4)], code: 1008 });
  });

  it('a burst of 1 lets one message through', async () => {
    const { url } = await app({ rateLimit: { burst: 1, perSecond: 0.01, closeAfter: 100 } });
    const client = await open(url);
    pings(client, [1, 2]);
    expect(await client.next(2)).toEqual([pong(1), refused(2)]);
  });

  it('an idle connection saves up no more than burst tokens', async () => {
    const { url } = await app({ rateLimit: { burst: 2, perSecond: 5, closeAfter: 100 } });
    const client = await open(url);
    await sleep(1500); // 7.5 tokens' worth of refill: the bucket still holds 2
    pings(client, range(1, 6));
    expect(await client.next(6)).toEqual([pong(1), pong(2), ...range(3, 6).map(refused)]);
  });

  it('refills at perSecond: one token per 1/perSecond seconds, none in between', async () => {
    // One token per 2 s.
    const { url } = await app({ rateLimit: { burst: 1, perSecond: 0.5, closeAfter: 100 } });
    const client = await open(url);
    pings(client, [1, 2]);
    expect(await client.next(2)).toEqual([pong(1), refused(2)]);
    pings(client, [3]); // a round trip later: far less than a token
    expect(await client.next()).toEqual([refused(3)]);
    await sleep(2600);
    pings(client, [4, 5]);
    expect(await client.next(2)).toEqual([pong(4), refused(5)]);
  });

  it('never closes a client that overshoots now and then: an answered message resets the count', async () => {
    // closeAfter 1: two refusals in a row close the connection; one at a time never does.
    const { url } = await app({ rateLimit: { burst: 1, perSecond: 5, closeAfter: 1 } });
    const client = await open(url);
    for (let round = 0; round < 4; round++) {
      await sleep(400); // two tokens' worth: the bucket is full (1) again
      pings(client, [2 * round + 1, 2 * round + 2]);
      expect(await client.next(2)).toEqual([pong(2 * round + 1), refused(2 * round + 2)]);
    }
    await sleep(400);
    pings(client, [99]);
    expect(await client.next()).toEqual([pong(99)]);
    expect(client.closeCode).toBeUndefined();
  });
});

/** An authenticator that holds each handshake with `?key=ok` until the test lets it go; `?key=now` passes at once. */
class GatedAuth {
  private readonly waiting: Array<() => void> = [];

  authenticate(request: HandshakeRequest) {
    if (request.query.key === 'now') return { user: 'now' };
    if (request.query.key !== 'ok') return undefined;
    return new Promise<{ user: string }>((resolve) => this.waiting.push(() => resolve({ user: 'gated' })));
  }

  get pending(): number {
    return this.waiting.length;
  }

  releaseAll(): void {
    for (const release of this.waiting.splice(0)) release();
  }
}

async function eventually(condition: () => boolean | Promise<boolean>, timeoutMs = 5000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!(await condition())) {
    if (Date.now() > deadline) throw new Error('condition not met in time');
    await sleep(20);
  }
}

async function canConnect(url: string, options?: Parameters<typeof TestClient.open>[1]): Promise<boolean> {
  try {
    await open(url, options);
    return true;
  } catch {
    return false;
  }
}

describe('connection limits: exact edges', () => {
  it('maxConnectionsPerAddress counts each remote address on its own', async () => {
    const { url } = await app({ maxConnectionsPerAddress: 1 });
    await open(url);
    expect(await refusedUpgrade(url)).toBe(429);
    // 127.0.0.2 is loopback too, and another remote address for the server.
    await open(url, { localAddress: '127.0.0.2' });
    expect(await refusedUpgrade(url, { localAddress: '127.0.0.2' })).toBe(429);
  });

  it('maxConnections counts every address together', async () => {
    const { url } = await app({ maxConnections: 2, maxConnectionsPerAddress: 5 });
    await open(url);
    await open(url, { localAddress: '127.0.0.2' });
    expect(await refusedUpgrade(url, { localAddress: '127.0.0.3' })).toBe(503);
  });

  it('counts handshakes still authenticating against maxConnections, and frees their slot after', async () => {
    const auth = new GatedAuth();
    const { url } = await app({ auth, maxConnections: 1 });
    const first = TestClient.open(`${url}/?key=ok`);
    await eventually(() => auth.pending === 1);
    expect(await refusedUpgrade(`${url}/?key=ok`)).toBe(503);
    auth.releaseAll();
    const client = await first;
    clients.push(client);
    expect(await refusedUpgrade(`${url}/?key=ok`)).toBe(503); // now open, still counted once
    await client.close();
    // The slot is free again once the connection is gone: counted neither twice nor never.
    await eventually(() => canConnect(`${url}/?key=now`));
  });

  it('counts handshakes still authenticating against maxConnectionsPerAddress', async () => {
    const auth = new GatedAuth();
    const { url } = await app({ auth, maxConnectionsPerAddress: 1 });
    const first = TestClient.open(`${url}/?key=ok`);
    await eventually(() => auth.pending === 1);
    expect(await refusedUpgrade(`${url}/?key=ok`)).toBe(429);
    auth.releaseAll();
    clients.push(await first);
  });

  it('frees the slot of a refused handshake', async () => {
    const auth = new GatedAuth();
    const { url } = await app({ auth, maxConnections: 1, maxConnectionsPerAddress: 1 });
    for (let attempt = 0; attempt < 3; attempt++) expect(await refusedUpgrade(`${url}/?key=wrong`)).toBe(401);
    const opening = TestClient.open(`${url}/?key=ok`);
    await eventually(() => auth.pending === 1);
    auth.releaseAll();
    clients.push(await opening);
  });
});

/** A guard per kind of answer: what it resolves to is the name of its class. */
class AsyncFalse implements CanActivate {
  async canActivate(): Promise<boolean> {
    await sleep(5);
    return false;
  }
}
class ObservableFalse implements CanActivate {
  canActivate() {
    return of(false);
  }
}
class ObservableTrue implements CanActivate {
  canActivate() {
    return of(true);
  }
}
class AsyncTrue implements CanActivate {
  async canActivate(): Promise<boolean> {
    return true;
  }
}
/** Sets the identity itself, as Passport's guards do. */
class SetsUser implements CanActivate {
  canActivate(context: ExecutionContext): boolean {
    context.switchToHttp().getRequest<{ user?: unknown }>().user = { name: 'from-guard' };
    return true;
  }
}

async function whoami(url: string): Promise<unknown> {
  const client = await open(url);
  client.send({ type: 'action', channel: 'whoami', id: 1 });
  const [reply] = (await client.next()) as Array<{ data?: unknown }>;
  return reply.data;
}

describe('connect guards: every form of refusal', () => {
  it.each([
    ['an async guard resolving to false', [AsyncFalse]],
    ['an Observable of false', [ObservableFalse]],
    ['the second of two guards', [AsyncTrue, AsyncFalse]],
    ['an Observable of false after one of true', [ObservableTrue, ObservableFalse]],
  ])('refuses with HTTP 403: %s', async (_name, connectGuards) => {
    const { url } = await app({ connectGuards });
    expect(await refusedUpgrade(url)).toBe(403);
  });

  it('lets in when every guard allows, sync, async or Observable', async () => {
    const { url } = await app({ connectGuards: [AsyncTrue, ObservableTrue] });
    const client = await open(url);
    pings(client, [1]);
    expect(await client.next()).toEqual([pong(1)]);
  });

  it('takes the user a guard sets when there is no authenticator', async () => {
    const { url } = await app({ connectGuards: [SetsUser] });
    expect(await whoami(url)).toEqual({ name: 'from-guard' });
  });

  it('keeps the authenticator identity over the one a guard sets', async () => {
    const { url } = await app({ auth: { authenticate: () => ({ user: 'authenticated' }) }, connectGuards: [SetsUser] });
    expect(await whoami(url)).toBe('authenticated');
  });
});

describe('query and cookies as the authenticator sees them', () => {
  /** Makes the request's query and cookies the user, for whoami to show. */
  const echoAuth = {
    authenticate: (request: HandshakeRequest) => ({ user: { query: request.query, cookies: request.cookies } }),
  };

  async function seen(path: string, cookie?: string): Promise<unknown> {
    const { url } = await app({ auth: echoAuth });
    const client = await open(`${url}${path}`, { headers: cookie === undefined ? {} : { cookie } });
    client.send({ type: 'action', channel: 'whoami', id: 1 });
    const [reply] = (await client.next()) as Array<{ data?: unknown }>;
    return reply.data;
  }

  it('gives a repeated parameter as an array, in order; decodes values; keeps empty ones', async () => {
    expect(await seen('/?a=1&b=&a=2&c=x%20y+z&a=3')).toEqual({
      query: { a: ['1', '2', '3'], b: '', c: 'x y z' },
      cookies: {},
    });
  });

  it('gives an empty query without a query string', async () => {
    expect(await seen('/')).toEqual({ query: {}, cookies: {} });
  });

  it('parses cookies: first of a name wins, quotes removed, values decoded, bad ones kept as sent', async () => {
    const header = ' a=1 ; b="quoted%21"; a=2; no-equals; =no-name; c=%E0%A4%A; d=x=y; e="; f=';
    expect(await seen('/', header)).toEqual({
      query: {},
      cookies: { a: '1', b: 'quoted!', c: '%E0%A4%A', d: 'x=y', e: '"', f: '' },
    });
  });
});

describe('rate limit options', () => {
  it.each([
    ['perSecond 0', { perSecond: 0, burst: 1 }],
    ['perSecond NaN', { perSecond: Number.NaN, burst: 1 }],
    ['burst below 1', { perSecond: 1, burst: 0.5 }],
    ['burst NaN', { perSecond: 1, burst: Number.NaN }],
  ])('refuses %s at startup, naming the option', async (_name, rateLimit) => {
    await expect(app({ rateLimit })).rejects.toThrow(/perSecond|burst/);
  });
});

describe('text frames that are not UTF-8', () => {
  // Bytes that decode to U+FFFD where they stand: inside a JSON string they would still parse.
  it.each([
    ['a lone continuation byte', [0x80]],
    ['an invalid byte', [0xff]],
    ['an overlong encoding of "/"', [0xc0, 0xaf]],
    ['a UTF-16 surrogate encoded in UTF-8', [0xed, 0xa0, 0x80]],
    ['a truncated sequence', [0xe2, 0x82]],
  ])('refuses %s inside a string value as invalid JSON, executing nothing', async (_name, bytes) => {
    const { url } = await app({});
    const client = await open(url);
    const frame = Buffer.concat([Buffer.from('{"type":"ping","id":"'), Buffer.from(bytes), Buffer.from('"}')]);
    client.socket.send(frame, { binary: false });
    client.send({ type: 'ping', id: 2 });
    expect(await client.next(2)).toEqual([{ type: 'error', code: 'INVALID_MESSAGE', message: 'Invalid JSON.' }, pong(2)]);
  });

  it('takes valid multi-byte UTF-8 as sent', async () => {
    const { url } = await app({});
    const client = await open(url);
    client.socket.send(Buffer.from('{"type":"ping","id":"é€😀"}', 'utf8'), { binary: false });
    expect(await client.next()).toEqual([{ type: 'pong', id: 'é€😀' }]);
  });
});
