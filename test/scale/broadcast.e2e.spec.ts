import 'reflect-metadata';
import { networkInterfaces } from 'node:os';
import { Redis } from 'ioredis';
import { describeWithRedis, RedisServer } from '../support/redis-server.js';
import { TestClient } from '../support/ws-client.js';
import { exactly, post, redisModule, redisSubscribers, sleep, startInstance, subscriber, type Instance } from './scale-app.js';

/** A non-loopback IPv4 address of this machine, if it has one. */
function externalAddress(): string | undefined {
  for (const addresses of Object.values(networkInterfaces())) {
    for (const address of addresses ?? []) {
      if (address.family === 'IPv4' && !address.internal) return address.address;
    }
  }
  return undefined;
}

describeWithRedis('scale-out through Redis: the HTTP broadcast bridge', () => {
  const prefix = 'bridge';
  const token = 's3cret-token';
  let redis: RedisServer;
  let admin: Redis;
  let a: Instance; // bridge with a token
  let b: Instance; // no bridge
  let c: Instance; // bridge on another path, no token
  const open: TestClient[] = [];

  beforeAll(async () => {
    redis = await RedisServer.start();
    admin = new Redis(redis.url);
    a = await startInstance('A', redisModule(redis.url, prefix, { broadcast: { token } }));
    b = await startInstance('B', redisModule(redis.url, prefix));
    c = await startInstance('C', redisModule(redis.url, prefix, { broadcast: { path: '/hooks/publish' } }));
  });

  afterEach(async () => {
    await Promise.all(open.splice(0).map((client) => (client.closeCode === undefined ? client.close() : undefined)));
  });

  afterAll(async () => {
    await Promise.all([a, b, c].map((instance) => instance?.close()));
    await admin?.quit();
    await redis?.stop();
  });

  /** One `news` subscriber on each instance, subscribed on Redis too. */
  async function newsSubscribers(): Promise<TestClient[]> {
    const clients = await Promise.all([a, b, c].map((instance) => subscriber(instance, 'news')));
    open.push(...clients);
    await redisSubscribers(admin, prefix, 'news', 3);
    return clients;
  }

  const auth = { authorization: `Bearer ${token}` };

  it('200: runs the channel method with `data` and publishes its result on every instance, once', async () => {
    const clients = await newsSubscribers();
    const runs = a.service.runs.news;
    const response = await post(`${a.http}/_broadcast`, { channel: 'news', data: { title: 'hello', priority: '2' } }, auth);
    expect(response).toEqual({ status: 200, body: { status: 'success' } });
    for (const client of clients) {
      // `priority` came as "2": the method got it through the binder, as a number.
      expect(await exactly(client, 1)).toEqual([{ type: 'data', channel: 'news', data: { title: 'hello', priority: 2 } }]);
    }
    expect(a.service.runs.news).toBe(runs + 1);
  });

  it('200 on a custom path without a token; a body without a JSON Content-Type is read too', async () => {
    const clients = await newsSubscribers();
    const response = await fetch(`${c.http}/hooks/publish`, {
      method: 'POST',
      headers: { 'content-type': 'text/plain' },
      body: JSON.stringify({ channel: 'news', data: { title: 'plain' } }),
    });
    expect(response.status).toBe(200);
    expect(await response.json()).toEqual({ status: 'success' });
    for (const client of clients) {
      expect(await exactly(client, 1)).toEqual([{ type: 'data', channel: 'news', data: { title: 'plain' } }]);
    }
  });

  it('401 without the token or with a wrong one', async () => {
    const body = { channel: 'news', data: { title: 'x' } };
    expect(await post(`${a.http}/_broadcast`, body)).toEqual({ status: 401, body: { error: 'Unauthorized.' } });
    expect(await post(`${a.http}/_broadcast`, body, { authorization: 'Bearer nope' })).toEqual({
      status: 401,
      body: { error: 'Unauthorized.' },
    });
    expect(await post(`${a.http}/_broadcast`, body, { authorization: token })).toEqual({
      status: 401,
      body: { error: 'Unauthorized.' },
    });
  });

  it('404 for an unknown channel', async () => {
    expect(await post(`${a.http}/_broadcast`, { channel: 'nope', data: {} }, auth)).toEqual({
      status: 404,
      body: { error: "Channel 'nope' not found." },
    });
  });

  it('400 for a malformed body', async () => {
    for (const body of ['{"channel": "news", ', '[1, 2]', '"news"', JSON.stringify({ data: {} }), JSON.stringify({ channel: 7 })]) {
      const response = await post(`${a.http}/_broadcast`, body, auth);
      expect(response.status).toBe(400);
      expect(response.body).toEqual({ error: expect.any(String) });
    }
  });

  it('400 with the validation errors when `data` does not fit the channel’s parameters; nothing is published', async () => {
    const clients = await newsSubscribers();
    const response = await post(`${a.http}/_broadcast`, { channel: 'news', data: { title: 'x', priority: 'high' } }, auth);
    expect(response).toEqual({
      status: 400,
      body: {
        error: "Invalid parameters for channel 'news'",
        errors: [{ path: 'priority', messages: [expect.any(String)] }],
      },
    });
    await sleep(300);
    for (const client of clients) expect(client.frames).toEqual([]);
  });

  it('500 when the channel method throws; nothing is published', async () => {
    const clients = await Promise.all([a, b].map((instance) => subscriber(instance, 'explode')));
    open.push(...clients);
    await redisSubscribers(admin, prefix, 'explode', 2);
    expect(await post(`${a.http}/_broadcast`, { channel: 'explode', data: { boom: true } }, auth)).toEqual({
      status: 500,
      body: { error: 'Internal server error' },
    });
    await sleep(300);
    for (const client of clients) expect(client.frames).toEqual([]);
  });

  it('is off when the option is absent', async () => {
    const response = await post(`${b.http}/_broadcast`, { channel: 'news', data: {} });
    expect(response.status).toBe(404);
    expect(response.body).not.toEqual({ status: 'success' });
  });

  const external = externalAddress();
  (external ? it : it.skip)(
    `403 for a request from a non-loopback address (${external ?? 'this machine has none: skipped'}), 200 once it is in allowedHosts`,
    async () => {
      const refused = await startInstance('E', redisModule(redis.url, prefix, { broadcast: {} }), '0.0.0.0');
      const allowed = await startInstance('F', redisModule(redis.url, prefix, { broadcast: { allowedHosts: [external!] } }), '0.0.0.0');
      try {
        const body = { channel: 'news', data: { title: 'from afar' } };
        expect(await post(`http://${external}:${refused.port}/_broadcast`, body)).toEqual({
          status: 403,
          body: { error: 'Broadcast endpoint can only be accessed locally.' },
        });
        // Loopback is still allowed on the same instance.
        expect((await post(`http://127.0.0.1:${refused.port}/_broadcast`, body)).status).toBe(200);
        expect(await post(`http://${external}:${allowed.port}/_broadcast`, body)).toEqual({
          status: 200,
          body: { status: 'success' },
        });
      } finally {
        await refused.close();
        await allowed.close();
      }
    },
  );
});
