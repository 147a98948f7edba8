import 'reflect-metadata';
import { useCleanup } from '../support/cleanup.js';
import { type TestApp } from '../support/test-app.js';
import { waitFor } from '../support/wait.js';
import { refusedUpgrade, TestClient } from '../support/ws-client.js';
import { app, AuditLog, byKey, NoBobGuard, whoami } from './fixtures/handshake-app.js';

const cleanup = useCleanup();

describe('authentication at connect', () => {
  let t: TestApp;
  beforeAll(async () => {
    t = await app({ auth: byKey });
  });
  afterAll(() => t.close());

  it('refuses an upgrade without credentials with HTTP 401: no socket', async () => {
    expect(await refusedUpgrade(t.url)).toBe(401);
    expect(await refusedUpgrade(t.url, { headers: { 'x-key': 'wrong' } })).toBe(401);
  });

  it('an authenticator that throws an HttpException gives its status; anything else 500, never a socket', async () => {
    expect(await refusedUpgrade(`${t.url}/?key=banned`)).toBe(403);
    expect(await refusedUpgrade(`${t.url}/?key=explode`)).toBe(500);
  });

  it('attaches the identity to the connection, from a header, the query or a cookie', async () => {
    expect(await whoami(t.url, { 'x-key': 'key-ada' })).toEqual({ name: 'ada', role: 'admin' });
    expect(await whoami(`${t.url}/?key=key-bob`)).toEqual({ name: 'bob', role: 'user' });
    expect(await whoami(t.url, { cookie: 'theme=dark; key=key-bob' })).toEqual({ name: 'bob', role: 'user' });
  });

  it('guards read the identity through the SocketConnection', async () => {
    const bob = await TestClient.open(`${t.url}/?key=key-bob`);
    const ada = await TestClient.open(`${t.url}/?key=key-ada`);
    bob.send({ type: 'action', channel: 'admin', id: 1 });
    ada.send({ type: 'action', channel: 'admin', id: 1 });
    expect(await bob.next()).toEqual([
      { type: 'error', code: 'FORBIDDEN', message: 'Forbidden resource', channel: 'admin', id: 1 },
    ]);
    expect(await ada.next()).toEqual([{ type: 'action', channel: 'admin', status: 'completed', data: 'ok', id: 1 }]);
    await Promise.all([bob.close(), ada.close()]);
  });
});

describe('connect guards', () => {
  it('run with DI after auth, see the request as HTTP with its user; refusal is HTTP 403', async () => {
    const t = cleanup.track(await app({ auth: byKey, connectGuards: [NoBobGuard] }));
    expect(await refusedUpgrade(`${t.url}/?key=key-bob`)).toBe(403);
    expect(await whoami(`${t.url}/?key=key-ada`)).toEqual({ name: 'ada', role: 'admin' });
    expect(t.app.get(AuditLog).seen).toEqual(['http:bob', 'http:ada']);
  });

  it('can stand alone, without auth', async () => {
    const t = cleanup.track(await app({ connectGuards: [NoBobGuard] }));
    expect(await whoami(t.url)).toBeUndefined();
  });
});

describe('origin allow-list', () => {
  it('refuses browsers from other origins with HTTP 403; clients without Origin are not browsers', async () => {
    const t = cleanup.track(
      await app({ allowedOrigins: ['https://app.example.com', /^https:\/\/[a-z]+\.example\.org$/] }),
    );
    expect(await whoami(t.url, { origin: 'https://app.example.com' })).toBeUndefined();
    expect(await whoami(t.url, { origin: 'https://admin.example.org' })).toBeUndefined();
    expect(await whoami(t.url)).toBeUndefined();
    expect(await refusedUpgrade(t.url, { headers: { origin: 'https://evil.example.net' } })).toBe(403);
    expect(await refusedUpgrade(t.url, { headers: { origin: 'https://app.example.com.evil.net' } })).toBe(403);
  });

  it('takes a function for anything else', async () => {
    const t = cleanup.track(await app({ allowedOrigins: (origin) => origin === 'https://only.example' }));
    expect(await refusedUpgrade(t.url)).toBe(403);
    expect(await whoami(t.url, { origin: 'https://only.example' })).toBeUndefined();
  });
});

describe('connection limits', () => {
  it('per process: the one past the limit gets HTTP 503, and a slot frees when a client leaves', async () => {
    const t = cleanup.track(await app({ maxConnections: 3 }));
    const clients = await Promise.all([1, 2, 3].map(() => TestClient.open(t.url)));
    expect(await refusedUpgrade(t.url)).toBe(503);
    await clients[0].close();
    await waitFor(async () => (await whoami(t.url)) === undefined);
  });

  it('per remote address: HTTP 429 past the limit', async () => {
    const t = cleanup.track(await app({ maxConnectionsPerAddress: 2 }));
    const clients = await Promise.all([1, 2].map(() => TestClient.open(t.url)));
    expect(await refusedUpgrade(t.url)).toBe(429);
    await clients[1].close();
    await waitFor(async () => (await whoami(t.url)) === undefined);
  });
});
