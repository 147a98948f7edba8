import 'reflect-metadata';
import type { CanActivate, ExecutionContext } from '@nestjs/common';
import { of } from 'rxjs';
import type { HandshakeRequest } from '../../lib/index.js';
import { app, closeAfterEach, open, pings, pong } from '../support/edge-app.js';
import { sleep, waitFor } from '../support/wait.js';
import { refusedUpgrade, type ClientOptions } from '../support/ws-client.js';

// The exact edges of the handshake: connection limits, connect guards, what the authenticator sees.
// Each test fails if a bound moves by one, a count is lost or a refusal is let through.

closeAfterEach();

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

async function canConnect(url: string, options?: ClientOptions): Promise<boolean> {
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
    const first = open(`${url}/?key=ok`);
    await waitFor(() => auth.pending === 1);
    expect(await refusedUpgrade(`${url}/?key=ok`)).toBe(503);
    auth.releaseAll();
    const client = await first;
    expect(await refusedUpgrade(`${url}/?key=ok`)).toBe(503); // now open, still counted once
    await client.close();
    // The slot is free again once the connection is gone: counted neither twice nor never.
    await waitFor(() => canConnect(`${url}/?key=now`));
  });

  it('counts handshakes still authenticating against maxConnectionsPerAddress', async () => {
    const auth = new GatedAuth();
    const { url } = await app({ auth, maxConnectionsPerAddress: 1 });
    const first = open(`${url}/?key=ok`);
    await waitFor(() => auth.pending === 1);
    expect(await refusedUpgrade(`${url}/?key=ok`)).toBe(429);
    auth.releaseAll();
    await first;
  });

  it('frees the slot of a refused handshake', async () => {
    const auth = new GatedAuth();
    const { url } = await app({ auth, maxConnections: 1, maxConnectionsPerAddress: 1 });
    for (let attempt = 0; attempt < 3; attempt++) expect(await refusedUpgrade(`${url}/?key=wrong`)).toBe(401);
    const opening = open(`${url}/?key=ok`);
    await waitFor(() => auth.pending === 1);
    auth.releaseAll();
    await opening;
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
