import 'reflect-metadata';
import { connect, type Socket } from 'node:net';
import { Injectable, type CanActivate, type LoggerService } from '@nestjs/common';
import { of } from 'rxjs';
import {
  Connection,
  SocketAction,
  SocketApiModule,
  type HandshakeRequest,
  type SocketApiModuleOptions,
  type SocketConnection,
} from '../../lib/index.js';
import { SocketServer } from '../../lib/gateway/socket-server.js';
import { AppModule } from '../../sample/app.module.js';
import { useCleanup } from '../support/cleanup.js';
import { startApp, type TestApp } from '../support/test-app.js';
import { waitFor } from '../support/wait.js';
import { refusedUpgrade, TestClient } from '../support/ws-client.js';

/** An authentication the test settles when it likes: `?key=wait-<name>` waits for `release(name)`. */
class HeldAuthenticator {
  readonly calls: string[] = [];
  private readonly waiting = new Map<string, (user: string | null) => void>();

  authenticate(request: HandshakeRequest) {
    const key = String(request.query.key);
    this.calls.push(key);
    if (key === 'ok') return { user: 'ok' };
    if (key === 'never') return new Promise<never>(() => {});
    const name = key.replace(/^wait-/, '');
    return new Promise<{ user: string } | undefined>((resolve) => {
      this.waiting.set(name, (user) => resolve(user === null ? undefined : { user }));
    });
  }

  isWaiting(name: string): boolean {
    return this.waiting.has(name);
  }

  /** Settles the authentication of `?key=wait-<name>`: as `user`, or refused with `null`. */
  release(name: string, user: string | null = name): void {
    this.waiting.get(name)!(user);
    this.waiting.delete(name);
  }
}

@Injectable()
class Probe {
  @SocketAction('whoami')
  whoami(@Connection() connection: SocketConnection) {
    return { user: connection.user ?? null, query: connection.query, clientAddress: connection.clientAddress };
  }

  @SocketAction('headers')
  headers(@Connection() connection: SocketConnection) {
    const { headers } = connection;
    // Node lower-cases header names (and drops `__proto__`): `constructor` is the name that could collide.
    return { constructor: headers.constructor };
  }
}

class AsyncDeny implements CanActivate {
  async canActivate(): Promise<boolean> {
    await new Promise((resolve) => setTimeout(resolve, 10));
    return false;
  }
}

class AsyncAllow implements CanActivate {
  async canActivate(): Promise<boolean> {
    await new Promise((resolve) => setTimeout(resolve, 10));
    return true;
  }
}

class ObservableDeny implements CanActivate {
  canActivate() {
    return of(false);
  }
}

const cleanup = useCleanup();

/** A real app with `options`, closed after the test. */
async function app(options: SocketApiModuleOptions, logger?: LoggerService): Promise<TestApp> {
  const created = await startApp({ imports: [SocketApiModule.forRoot(options)], providers: [Probe] }, (nest) => {
    if (logger) nest.useLogger(logger);
  });
  return cleanup.track(created);
}

/** A logger that keeps the lines of each level. */
class RecordingLogger implements LoggerService {
  readonly lines: Record<'log' | 'warn' | 'error' | 'debug', string[]> = { log: [], warn: [], error: [], debug: [] };
  log(message: string): void {
    this.lines.log.push(message);
  }
  warn(message: string): void {
    this.lines.warn.push(message);
  }
  error(message: string): void {
    this.lines.error.push(message);
  }
  debug(message: string): void {
    this.lines.debug.push(message);
  }
}

function port(test: TestApp): number {
  return Number(new URL(test.url).port);
}

function openConnections(test: TestApp): number {
  return test.app.get(SocketServer).connectionCount;
}

interface UpgradeAnswer {
  status: number;
  body: string;
}

/** An upgrade request on a raw TCP socket, so that a test can leave in the middle of it. */
function rawUpgrade(test: TestApp, path: string): { socket: Socket; answer: Promise<UpgradeAnswer> } {
  const socket = connect(port(test), '127.0.0.1');
  socket.write(
    `GET ${path} HTTP/1.1\r\nHost: 127.0.0.1:${port(test)}\r\nUpgrade: websocket\r\nConnection: Upgrade\r\n` +
      'Sec-WebSocket-Key: dGhlIHNhbXBsZSBub25jZQ==\r\nSec-WebSocket-Version: 13\r\n\r\n',
  );
  const answer = new Promise<UpgradeAnswer>((resolve, reject) => {
    let text = '';
    socket.on('data', (chunk) => {
      text += chunk.toString();
      const end = text.indexOf('\r\n\r\n');
      if (end === -1) return;
      const status = Number(text.split(' ')[1]);
      if (status === 101) resolve({ status, body: '' });
    });
    socket.on('end', () => {
      resolve({ status: Number(text.split(' ')[1]), body: text.slice(text.indexOf('\r\n\r\n') + 4) });
    });
    socket.on('error', reject);
  });
  return { socket, answer };
}

interface WhoAmI {
  user: unknown;
  query: unknown;
  clientAddress: unknown;
}

async function whoami(url: string, headers?: Record<string, string>): Promise<WhoAmI> {
  const client = await TestClient.open(url, { headers });
  try {
    client.send({ type: 'action', channel: 'whoami' });
    const [reply] = await client.next();
    return (reply as { data: WhoAmI }).data;
  } finally {
    await client.close();
  }
}

/** Opens a client, retrying refused upgrades until `timeoutMs` has passed. */
async function openWithin(url: string, timeoutMs: number): Promise<TestClient> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    try {
      return await TestClient.open(url);
    } catch (error) {
      if (Date.now() > deadline) throw error;
      await new Promise((resolve) => setTimeout(resolve, 20));
    }
  }
}

describe('handshake timeout', () => {
  it('an authenticator that never settles gets HTTP 503 after handshakeTimeoutMs, and frees its slot', async () => {
    const test = await app({ auth: new HeldAuthenticator(), maxConnections: 1, handshakeTimeoutMs: 300 });
    const started = Date.now();
    const { socket, answer } = rawUpgrade(test, '/?key=never');
    expect(await answer).toEqual({ status: 503, body: 'Handshake timed out' });
    expect(Date.now() - started).toBeGreaterThanOrEqual(250);
    socket.destroy();
    expect((await whoami(`${test.url}/?key=ok`)).user).toBe('ok');
  });

  it('a verdict after the timeout does nothing: no socket, no identity, no slot counted twice', async () => {
    const auth = new HeldAuthenticator();
    const test = await app({ auth, maxConnections: 1, handshakeTimeoutMs: 200 });
    const { socket, answer } = rawUpgrade(test, '/?key=wait-late');
    expect((await answer).status).toBe(503);
    auth.release('late');
    await new Promise((resolve) => setTimeout(resolve, 50));
    expect(openConnections(test)).toBe(0);
    socket.destroy();
    // Exactly one slot: one client gets in, the next is refused (a slot freed twice would let both in).
    cleanup.track(await TestClient.open(`${test.url}/?key=ok`));
    expect(await refusedUpgrade(`${test.url}/?key=ok`)).toBe(503);
  });

  it('a connect guard that never settles times out the same way', async () => {
    @Injectable()
    class NeverGuard implements CanActivate {
      canActivate(): Promise<boolean> {
        return new Promise(() => {});
      }
    }
    const test = await app({ connectGuards: [NeverGuard], maxConnections: 1, handshakeTimeoutMs: 200 });
    // Both time out: the first one's slot was freed, or the second would be 'Too many connections'.
    for (let attempt = 0; attempt < 2; attempt++) {
      const { socket, answer } = rawUpgrade(test, '/');
      expect(await answer).toEqual({ status: 503, body: 'Handshake timed out' });
      socket.destroy();
    }
    expect(openConnections(test)).toBe(0);
  });

  it('a client that leaves while authenticated frees its slot at once; the verdict then opens no socket', async () => {
    const auth = new HeldAuthenticator();
    const test = await app({ auth, maxConnections: 1, handshakeTimeoutMs: 60_000 });
    const { socket } = rawUpgrade(test, '/?key=wait-gone');
    await waitFor(() => auth.isWaiting('gone'));
    socket.destroy();
    await waitFor(() => socket.destroyed);
    // The slot is back long before the 60 s timeout (retried: the server sees the leaving a moment later).
    cleanup.track(await openWithin(`${test.url}/?key=ok`, 3000));
    auth.release('gone');
    await new Promise((resolve) => setTimeout(resolve, 50));
    expect(openConnections(test)).toBe(1);
    expect(await refusedUpgrade(`${test.url}/?key=ok`)).toBe(503);
  });
});

describe('handshakes under way at shutdown', () => {
  it('get HTTP 503 at once, and app.close() does not wait for their authenticator', async () => {
    const auth = new HeldAuthenticator();
    const test = await app({ auth, handshakeTimeoutMs: 60_000 });
    const { socket, answer } = rawUpgrade(test, '/?key=wait-late');
    await waitFor(() => auth.isWaiting('late'));
    const started = Date.now();
    await test.close();
    expect(await answer).toEqual({ status: 503, body: 'Server shutting down' });
    expect(Date.now() - started).toBeLessThan(5000);
    socket.destroy();
    auth.release('late');
  });
});

describe('handshakes under way hold a slot', () => {
  it('counted against maxConnections: the N+1th concurrent upgrade gets 503 while N authenticate', async () => {
    const auth = new HeldAuthenticator();
    const test = await app({ auth, maxConnections: 2 });
    const first = TestClient.open(`${test.url}/?key=wait-a`);
    const second = TestClient.open(`${test.url}/?key=wait-b`);
    await waitFor(() => auth.isWaiting('a') && auth.isWaiting('b'));
    expect(await refusedUpgrade(`${test.url}/?key=ok`)).toBe(503);
    auth.release('a');
    auth.release('b');
    (await Promise.all([first, second])).forEach(cleanup.track);
    expect(openConnections(test)).toBe(2);
  });

  it('counted against maxConnectionsPerAddress: 429 while the first authenticates', async () => {
    const auth = new HeldAuthenticator();
    const test = await app({ auth, maxConnectionsPerAddress: 1 });
    const first = TestClient.open(`${test.url}/?key=wait-a`);
    await waitFor(() => auth.isWaiting('a'));
    expect(await refusedUpgrade(`${test.url}/?key=ok`)).toBe(429);
    auth.release('a');
    await (await first).close();
  });

  it('a refusal frees the slot (401 then a client gets in)', async () => {
    const auth = new HeldAuthenticator();
    const test = await app({ auth, maxConnections: 1 });
    const refused = refusedUpgrade(`${test.url}/?key=wait-no`);
    await waitFor(() => auth.isWaiting('no'));
    auth.release('no', null);
    expect(await refused).toBe(401);
    expect((await whoami(`${test.url}/?key=ok`)).user).toBe('ok');
  });
});

describe('connect guards that are not plain booleans', () => {
  it('an async guard that resolves to false gives 403; one that resolves to true lets the client in', async () => {
    let test = await app({ connectGuards: [AsyncDeny] });
    expect(await refusedUpgrade(test.url)).toBe(403);
    expect(openConnections(test)).toBe(0);
    await test.close();
    test = await app({ connectGuards: [AsyncAllow] });
    expect((await whoami(test.url)).user).toBeNull();
  });

  it('a guard whose Observable emits false gives 403', async () => {
    const test = await app({ connectGuards: [ObservableDeny] });
    expect(await refusedUpgrade(test.url)).toBe(403);
  });
});

describe('query strings with the names of Object.prototype members', () => {
  it('connection.query and the authenticator see plain keys with their string values', async () => {
    const seen: HandshakeRequest['query'][] = [];
    const test = await app({ auth: { authenticate: (request) => (seen.push(request.query), { user: 'u' }) } });
    const { query } = await whoami(`${test.url}/?__proto__=x&hasOwnProperty=z&constructor=c&constructor=d&toString=t`);
    expect(query).toEqual({ ['__proto__']: 'x', hasOwnProperty: 'z', constructor: ['c', 'd'], toString: 't' });
    // eslint-disable-next-line @typescript-eslint/unbound-method -- a key named like an Object method holds a string here
    expect(seen[0].hasOwnProperty).toBe('z');
    expect(seen[0].constructor).toEqual(['c', 'd']);
    expect(Object.getPrototypeOf(seen[0])).toBeNull();
  });

  it('cookies and headers with such names stay plain values', async () => {
    let cookies: HandshakeRequest['cookies'] | undefined;
    const test = await app({ auth: { authenticate: (request) => ((cookies = request.cookies), { user: 'u' }) } });
    const client = await TestClient.open(test.url, {
      headers: { cookie: 'constructor=c; __proto__=p', constructor: 'k' },
    });
    client.send({ type: 'action', channel: 'headers' });
    const [reply] = await client.next();
    await client.close();
    expect(cookies?.constructor).toBe('c');
    expect(cookies?.['__proto__']).toBe('p');
    expect((reply as { data: unknown }).data).toStrictEqual({ constructor: 'k' });
  });
});

describe('origin policy, on a real server', () => {
  const origin = (test: TestApp, port_ = port(test)) => `http://127.0.0.1:${port_}`;

  it('by default: a page of the same host and port passes, another port gets 403, no Origin passes', async () => {
    const test = await app({});
    expect((await whoami(test.url, { origin: origin(test) })).user).toBeNull();
    const viaLocalhost = { origin: `http://localhost:${port(test)}`, host: `localhost:${port(test)}` };
    expect((await whoami(test.url, viaLocalhost)).user).toBeNull();
    expect(await refusedUpgrade(test.url, { headers: { origin: origin(test, port(test) + 1) } })).toBe(403);
    expect(await refusedUpgrade(test.url, { headers: { origin: `http://localhost:${port(test)}` } })).toBe(403);
    expect(await refusedUpgrade(test.url, { headers: { origin: 'null' } })).toBe(403);
    expect((await whoami(test.url)).user).toBeNull();
    expect(openConnections(test)).toBe(0);
  });

  it('a listed origin passes; a RegExp with the g flag answers the same for every upgrade', async () => {
    const test = await app({ allowedOrigins: ['http://localhost:5173', /^https:\/\/app\.example\.com$/g] });
    for (let attempt = 0; attempt < 4; attempt++) {
      expect((await whoami(test.url, { origin: 'https://app.example.com' })).user).toBeNull();
    }
    expect((await whoami(test.url, { origin: 'http://localhost:5173' })).user).toBeNull();
    expect((await whoami(test.url, { origin: origin(test) })).user).toBeNull();
    expect(await refusedUpgrade(test.url, { headers: { origin: 'http://localhost:5174' } })).toBe(403);
  });

  it("the sample app's page connects as a browser would (its own origin); a page elsewhere cannot", async () => {
    const t = cleanup.track(await startApp({ imports: [AppModule] }));
    // The page's script (sample/page/, bundled) opens the socket on the page's own host.
    const script = await fetch(`${t.url.replace('ws:', 'http:')}/page.js`);
    expect(await script.text()).toContain('location.host');
    const browser = await TestClient.open(t.url, { headers: { origin: t.url.replace('ws:', 'http:') } });
    browser.send({ type: 'action', channel: 'add_numbers', data: { a: 2, b: 3 } });
    expect(await browser.next()).toEqual([{ type: 'action', channel: 'add_numbers', status: 'completed', data: 5 }]);
    await browser.close();
    expect(await refusedUpgrade(t.url, { headers: { origin: 'https://evil.example' } })).toBe(403);
  });

  it("'*' lets any origin in, Origin: null too", async () => {
    const test = await app({ allowedOrigins: '*' });
    expect((await whoami(test.url, { origin: 'https://evil.example' })).user).toBeNull();
    expect((await whoami(test.url, { origin: 'null' })).user).toBeNull();
  });

  it('a function that throws refuses with 403 and logs; the server keeps serving', async () => {
    const logger = new RecordingLogger();
    const allowedOrigins = (value: string | undefined): boolean => {
      if (value === 'https://boom.example') throw new Error('boom');
      return true;
    };
    const test = await app({ allowedOrigins }, logger);
    expect(await refusedUpgrade(test.url, { headers: { origin: 'https://boom.example' } })).toBe(403);
    expect(logger.lines.error.join('\n')).toContain('allowedOrigins threw');
    expect((await whoami(test.url, { origin: 'https://fine.example' })).user).toBeNull();
  });

  it('the refusal is logged with how to allow it, then at most once per errorLogIntervalMs with a count', async () => {
    const logger = new RecordingLogger();
    const test = await app({ errorLogIntervalMs: 3000 }, logger);
    expect(await refusedUpgrade(test.url, { headers: { origin: 'http://localhost:5173' } })).toBe(403);
    expect(logger.lines.warn).toEqual([expect.stringContaining("add 'http://localhost:5173' to allowedOrigins")]);
    for (let attempt = 0; attempt < 14; attempt++) {
      expect(await refusedUpgrade(test.url, { headers: { origin: `http://attacker-${attempt}.example` } })).toBe(403);
    }
    expect(logger.lines.warn).toHaveLength(1);
    await new Promise((resolve) => setTimeout(resolve, 3100));
    expect(await refusedUpgrade(test.url, { headers: { origin: 'http://late.example' } })).toBe(403);
    expect(logger.lines.warn).toHaveLength(2);
    expect(logger.lines.warn[1]).toContain(
      "add 'http://late.example' to allowedOrigins. (15 of these since the last line)",
    );
  });
});

describe('maxConnectionsPerAddress by client address', () => {
  it('behind a trusted proxy: counted by the forwarded address, IPv6 per /64; handlers and auth see it', async () => {
    const seen: (string | undefined)[] = [];
    const auth = { authenticate: (request: HandshakeRequest) => (seen.push(request.clientAddress), { user: 'u' }) };
    const test = await app({ auth, trustedProxies: ['127.0.0.1'], maxConnectionsPerAddress: 2 });
    const via = (address: string) => ({ headers: { 'x-forwarded-for': address } });
    const clients = [
      await TestClient.open(test.url, via('2001:db8:1:2::1')),
      await TestClient.open(test.url, via('2001:db8:1:2:aaaa::2')),
    ];
    // A third address of the same /64 is the same client.
    expect(await refusedUpgrade(test.url, via('2001:db8:1:2:ffff:ffff:ffff:ffff'))).toBe(429);
    expect((await whoami(test.url, via('2001:db8:1:3::1').headers)).clientAddress).toBe('2001:db8:1:3::1');
    expect((await whoami(test.url, via('198.51.100.7, 127.0.0.1').headers)).clientAddress).toBe('198.51.100.7');
    expect(seen.slice(0, 2)).toEqual(['2001:db8:1:2::1', '2001:db8:1:2:aaaa::2']);
    await Promise.all(clients.map((client) => client.close()));
    // The slots of that /64 are free again once its clients have left.
    await waitFor(() => openConnections(test) === 0);
    expect((await whoami(test.url, via('2001:db8:1:2::9').headers)).clientAddress).toBe('2001:db8:1:2::9');
  });

  it('from a peer that is not a trusted proxy, X-Forwarded-For is ignored: no way around the limit', async () => {
    const test = await app({ maxConnectionsPerAddress: 1 });
    const first = await TestClient.open(test.url, { headers: { 'x-forwarded-for': '198.51.100.1' } });
    expect(await refusedUpgrade(test.url, { headers: { 'x-forwarded-for': '198.51.100.2' } })).toBe(429);
    await first.close();
    await waitFor(() => openConnections(test) === 0);
    expect((await whoami(test.url, { 'x-forwarded-for': '198.51.100.3' })).clientAddress).toBe('127.0.0.1');
  });
});
