import 'reflect-metadata';
import type { TestApp } from '../support/test-app.js';
import { refusedUpgrade, TestClient } from '../support/ws-client.js';
import { app, AuditLog, byKey, NoBobGuard, whoami } from './fixtures/handshake-app.js';

/**
 * The handshake on Fastify: the upgrade is handled on Node's HTTP server, as under Express, so a
 * refused and an accepted case of each check suffice here (the full set runs on Express in
 * handshake.e2e.spec.ts).
 */
describe('the handshake on Fastify', () => {
  let t: TestApp | undefined;
  const clients: TestClient[] = [];

  afterEach(async () => {
    await Promise.all(clients.splice(0).map((client) => client.close()));
    await t?.close();
    t = undefined;
  });

  it('auth and a connect guard reading switchToHttp().getRequest(): 401, 403, and the identity on an accepted socket', async () => {
    t = await app({ auth: byKey, connectGuards: [NoBobGuard] }, 'fastify');
    expect(await refusedUpgrade(t.url)).toBe(401);
    expect(await refusedUpgrade(`${t.url}/?key=key-bob`)).toBe(403);
    expect(await whoami(`${t.url}/?key=key-ada`)).toEqual({ name: 'ada', role: 'admin' });
    expect(t.app.get(AuditLog).seen).toEqual(['http:bob', 'http:ada']);
  });

  it('origin allow-list: 403 for another origin, a listed one connects', async () => {
    t = await app({ allowedOrigins: ['https://app.example.com'] }, 'fastify');
    expect(await refusedUpgrade(t.url, { headers: { origin: 'https://evil.example.net' } })).toBe(403);
    expect(await whoami(t.url, { origin: 'https://app.example.com' })).toBeUndefined();
  });

  it('maxConnectionsPerAddress: 429 past the limit', async () => {
    t = await app({ maxConnectionsPerAddress: 2 }, 'fastify');
    clients.push(...(await Promise.all([1, 2].map(() => TestClient.open(t!.url)))));
    expect(await refusedUpgrade(t.url)).toBe(429);
  });
});
