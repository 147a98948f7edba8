import 'reflect-metadata';
import { createServer, type Server } from 'node:http';
import { connect, type AddressInfo } from 'node:net';
import { Controller, Get, Module, Post, type LoggerService } from '@nestjs/common';
import type { NestFastifyApplication } from '@nestjs/platform-fastify';
import { Test } from '@nestjs/testing';
import { Redis } from 'ioredis';
import { SocketApiModule, type BroadcastOptions } from '../../lib/index.js';
import { PLATFORMS } from '../support/platforms.js';
import { describeWithRedis, RedisServer } from '../support/redis-server.js';
import { TestClient } from '../support/ws-client.js';
import {
  eventually,
  exactly,
  FeedService,
  post,
  redisModule,
  redisSubscribers,
  sleep,
  startInstance,
  subscriber,
  type Instance,
} from './scale-app.js';

/** Writes `requests` on one connection; everything the server sent until it was quiet for 300 ms. */
function exchange(port: number, requests: string): Promise<string> {
  return new Promise((resolve, reject) => {
    const socket = connect(port, '127.0.0.1');
    let received = '';
    let quiet: NodeJS.Timeout | undefined;
    const done = () => {
      socket.destroy();
      resolve(received);
    };
    socket.on('connect', () => socket.write(requests));
    socket.on('error', reject);
    socket.on('data', (chunk: Buffer) => {
      received += chunk.toString();
      clearTimeout(quiet);
      quiet = setTimeout(done, 300);
    });
  });
}

/** Routes of the app's own on the bridge's path: the bridge answers POST ahead of them, the rest is theirs. */
@Controller('_broadcast')
class ShadowedRoutes {
  posts = 0;

  @Post()
  post(): string {
    this.posts++;
    return 'the framework answered';
  }

  @Get()
  get(): string {
    return 'the framework answered';
  }
}

@Module({ imports: [SocketApiModule.forRoot({ broadcast: {}, heartbeat: false })], controllers: [ShadowedRoutes] })
class ShadowedModule {}

describe.each(PLATFORMS)('the HTTP bridge ahead of the framework, on %s', (platform) => {
  let instance: Instance | undefined;

  afterEach(async () => {
    await instance?.close();
    instance = undefined;
  });

  it('answers its POSTs alone (the framework never sees them, no second answer) and leaves other methods to the framework', async () => {
    instance = await startInstance('S', { module: ShadowedModule }, platform);
    const body = JSON.stringify({ channel: 'news', data: { title: 'once' } });
    const request = (method: string, withBody: boolean) =>
      `${method} /_broadcast HTTP/1.1\r\nhost: 127.0.0.1\r\ncontent-type: application/json\r\n` +
      `content-length: ${withBody ? body.length : 0}\r\n\r\n${withBody ? body : ''}`;
    // Two POSTs and a GET on one keep-alive connection: three answers, in order, and nothing else.
    const received = await exchange(
      instance.port,
      request('POST', true) + request('POST', true) + request('GET', false),
    );
    expect(received.match(/HTTP\/1\.1 \d{3}/g)).toEqual(['HTTP/1.1 200', 'HTTP/1.1 200', 'HTTP/1.1 200']);
    expect(received.split('{"status":"success"}')).toHaveLength(3);
    expect(received.endsWith('the framework answered')).toBe(true);
    expect(instance.app.get(ShadowedRoutes).posts).toBe(0);
  });
});

describe('the HTTP bridge on Fastify, reached past the HTTP server', () => {
  let instance: Instance | undefined;
  let client: TestClient | undefined;
  let second: Server | undefined;

  afterEach(async () => {
    await client?.close();
    client = undefined;
    second?.closeAllConnections();
    await new Promise((resolve) => (second ? second.close(resolve) : resolve(undefined)));
    second = undefined;
    await instance?.close();
    instance = undefined;
  });

  // When the app listens on 'localhost' (`app.listen(port)`'s default on Fastify) and it resolves to
  // both loopback addresses, Fastify serves the second on another http.Server whose handler is its
  // router (`fastify.routing`), not the app's server: none of that server's listeners run. That
  // server, built here as Fastify builds it, on 127.0.0.1 (the app's own is on the same address).
  it('answers there as on the HTTP server: checks, publication, and the framework never sees it', async () => {
    instance = await startInstance('S', { module: ShadowedModule }, 'fastify');
    const fastify = (instance.app as NestFastifyApplication).getHttpAdapter().getInstance();
    second = createServer((request, response) => fastify.routing(request, response));
    await new Promise<void>((resolve) => second!.listen(0, '127.0.0.1', resolve));
    const url = `http://127.0.0.1:${(second.address() as AddressInfo).port}/_broadcast`;
    client = await subscriber(instance, 'news');
    const body = { channel: 'news', data: { title: 'past the server' } };
    expect(await post(url, body, { 'content-type': 'text/plain' })).toEqual({
      status: 415,
      body: { error: 'The body must be JSON, sent with Content-Type: application/json.' },
    });
    expect(await post(`${url}?from=second`, body)).toEqual({ status: 200, body: { status: 'success' } });
    expect(await exactly(client, 1)).toEqual([{ type: 'data', channel: 'news', data: { title: 'past the server' } }]);
    expect(await (await fetch(url)).text()).toBe('the framework answered');
    expect(instance.app.get(ShadowedRoutes).posts).toBe(0);
  });
});

/** Sends request headers and no body; the answer, and whether the server then closed the connection. */
function headersOnly(
  port: number,
  path: string,
  headers: Record<string, string>,
): Promise<{ status: number; body: unknown; closed: boolean }> {
  return new Promise((resolve, reject) => {
    const socket = connect(port, '127.0.0.1');
    let received = '';
    let closed = false;
    const timer = setTimeout(() => {
      socket.destroy();
      reject(new Error(`no complete answer within 3 s; got ${JSON.stringify(received)}`));
    }, 3000);
    const lines = Object.entries(headers).map(([name, value]) => `${name}: ${value}\r\n`);
    socket.on('connect', () =>
      socket.write(`POST ${path} HTTP/1.1\r\nhost: 127.0.0.1:${port}\r\n${lines.join('')}\r\n`),
    );
    socket.on('error', () => undefined);
    socket.on('close', () => (closed = true));
    socket.on('data', (chunk: Buffer) => {
      received += chunk.toString();
      const head = received.indexOf('\r\n\r\n');
      const length = /content-length: (\d+)/i.exec(received);
      if (head === -1 || !length || received.length < head + 4 + Number(length[1])) return;
      // Give a close that follows the answer a moment to arrive.
      setTimeout(() => {
        clearTimeout(timer);
        socket.destroy();
        resolve({ status: Number(received.slice(9, 12)), body: JSON.parse(received.slice(head + 4)), closed });
      }, 200);
    });
  });
}

/** POSTs a chunked JSON body of up to `total` bytes, as fast as the server reads; what it answered and how much went out. */
function chunkedFlood(port: number, path: string, total: number): Promise<{ status: number; sent: number }> {
  return new Promise((resolve, reject) => {
    const socket = connect(port, '127.0.0.1');
    const chunk = Buffer.alloc(64 * 1024, 0x20);
    let sent = 0;
    let received = '';
    const timer = setTimeout(() => finish(new Error('neither an answer nor a close within 10 s')), 10_000);
    const finish = (error?: Error) => {
      clearTimeout(timer);
      socket.destroy();
      if (error) reject(error);
      else resolve({ status: Number(received.slice(9, 12)), sent });
    };
    const pump = () => {
      while (sent < total && !socket.destroyed) {
        sent += chunk.length;
        if (!socket.write(`${chunk.length.toString(16)}\r\n`) || !socket.write(chunk) || !socket.write('\r\n')) return;
      }
    };
    socket.on('connect', () => {
      socket.write(
        `POST ${path} HTTP/1.1\r\nhost: 127.0.0.1:${port}\r\ncontent-type: application/json\r\ntransfer-encoding: chunked\r\n\r\n`,
      );
      pump();
    });
    socket.on('drain', pump);
    socket.on('data', (data: Buffer) => (received += data.toString()));
    socket.on('error', () => undefined);
    socket.on('close', () =>
      received.startsWith('HTTP/1.1') ? finish() : finish(new Error(`closed without an answer after ${sent} bytes`)),
    );
  });
}

const token = 's3cret-token';

describeWithRedis('scale-out through Redis: the HTTP broadcast bridge', () => {
  let redis: RedisServer;
  let admin: Redis;

  beforeAll(async () => {
    redis = await RedisServer.start();
    admin = new Redis(redis.url);
  });

  afterAll(async () => {
    await admin?.quit();
    await redis?.stop();
  });

  // The bridge is served on Node's HTTP server ahead of the framework: it must answer the same on both.
  describe.each(PLATFORMS)('on %s', (platform) => {
    const prefix = `bridge-${platform}`;
    let a: Instance; // bridge with a token
    let b: Instance; // no bridge
    let c: Instance; // bridge on another path, no token
    const open: TestClient[] = [];

    beforeAll(async () => {
      a = await startInstance('A', redisModule(redis.url, prefix, { broadcast: { token } }), platform);
      b = await startInstance('B', redisModule(redis.url, prefix), platform);
      c = await startInstance('C', redisModule(redis.url, prefix, { broadcast: { path: '/hooks/publish' } }), platform);
    });

    afterEach(async () => {
      await Promise.all(
        open
          .splice(0)
          .filter((client) => client.closeCode === undefined)
          .map((client) => client.close()),
      );
    });

    afterAll(async () => {
      await Promise.all([a, b, c].map((instance) => instance?.close()));
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
      const response = await post(
        `${a.http}/_broadcast`,
        { channel: 'news', data: { title: 'hello', priority: '2' } },
        auth,
      );
      expect(response).toEqual({ status: 200, body: { status: 'success' } });
      for (const client of clients) {
        // `priority` came as "2": the method got it through the binder, as a number.
        expect(await exactly(client, 1)).toEqual([
          { type: 'data', channel: 'news', data: { title: 'hello', priority: 2 } },
        ]);
      }
      expect(a.service.runs.news).toBe(runs + 1);
    });

    it('200 on a custom path without a token (query string ignored)', async () => {
      const clients = await newsSubscribers();
      const response = await post(`${c.http}/hooks/publish?from=cron`, { channel: 'news', data: { title: 'hooked' } });
      expect(response).toEqual({ status: 200, body: { status: 'success' } });
      for (const client of clients) {
        expect(await exactly(client, 1)).toEqual([{ type: 'data', channel: 'news', data: { title: 'hooked' } }]);
      }
    });

    it('415 for any body not sent as application/json (what a cross-site form or simple fetch sends); nothing runs', async () => {
      const clients = await newsSubscribers();
      const runs = a.service.runs.news;
      const json = JSON.stringify({ channel: 'news', data: { title: 'forged' } });
      const bodies: Array<[string | undefined, string]> = [
        ['text/plain', json],
        ['text/plain;charset=UTF-8', json],
        ['application/x-www-form-urlencoded', `${json}=`],
        ['application/x-www-form-urlencoded', 'channel=news&data[title]=forged'],
        [
          'multipart/form-data; boundary=x',
          `--x\r\nContent-Disposition: form-data; name="channel"\r\n\r\nnews\r\n--x--`,
        ],
        ['application/jsonp', json],
        [undefined, json],
      ];
      for (const [type, body] of bodies) {
        for (const [instance, headers] of [
          [a, auth],
          [c, {}],
        ] as const) {
          const response = await fetch(`${instance.http}${instance === c ? '/hooks/publish' : '/_broadcast'}`, {
            method: 'POST',
            headers: { ...headers, ...(type === undefined ? {} : { 'content-type': type }) },
            body: type === undefined ? new Blob([body]) : body,
          });
          expect([type, response.status]).toEqual([type, 415]);
          expect(await response.json()).toEqual({
            error: 'The body must be JSON, sent with Content-Type: application/json.',
          });
        }
      }
      await sleep(300);
      for (const client of clients) expect(client.frames).toEqual([]);
      expect(a.service.runs.news).toBe(runs);
    });

    it('403 for a browser request from an origin not listed in allowedOrigins, even its own (DNS rebinding); listed ones pass', async () => {
      const body = { channel: 'news', data: { title: 'x' } };
      const origins = [
        'http://evil.example',
        'null',
        `http://127.0.0.1:${a.port + 1}`,
        `http://localhost:${a.port}`,
        `http://127.0.0.1:${a.port}`,
      ];
      for (const origin of origins) {
        expect(await post(`${a.http}/_broadcast`, body, { ...auth, origin })).toEqual({
          status: 403,
          body: { error: 'Broadcast endpoint: this Origin is not allowed (see allowedOrigins).' },
        });
      }
      const listed = await startInstance(
        'L',
        redisModule(redis.url, prefix, { broadcast: {}, allowedOrigins: ['http://dev.example:5173'] }),
        platform,
      );
      try {
        expect((await post(`${listed.http}/_broadcast`, body, { origin: 'http://dev.example:5173' })).status).toBe(200);
        expect((await post(`${listed.http}/_broadcast`, body, { origin: 'http://dev.example:5174' })).status).toBe(403);
      } finally {
        await listed.close();
      }
    });

    it('answers refusals from the headers alone, before any of the body is sent', async () => {
      const json = { 'content-type': 'application/json' };
      // Headers promising a body that never comes: the answer cannot have waited for it.
      expect(await headersOnly(a.port, '/_broadcast', { ...json, 'content-length': '100' })).toMatchObject({
        status: 401,
      });
      expect(
        await headersOnly(a.port, '/_broadcast', {
          ...json,
          'content-length': '100',
          authorization: `Bearer ${token}`,
          origin: 'http://evil.example',
        }),
      ).toMatchObject({ status: 403 });
      expect(
        await headersOnly(a.port, '/_broadcast', {
          'content-type': 'text/plain',
          'content-length': '100',
          authorization: `Bearer ${token}`,
        }),
      ).toMatchObject({
        status: 415,
      });
      expect(
        await headersOnly(a.port, '/_broadcast', {
          ...json,
          'content-length': String(64 * 1024 * 1024),
          authorization: `Bearer ${token}`,
        }),
      ).toEqual({ status: 413, body: { error: 'The body is larger than 1048576 bytes.' }, closed: true });
      // A client that waits for `100 Continue` before sending the body is refused without it.
      expect(
        await headersOnly(a.port, '/_broadcast', { ...json, 'content-length': '100', expect: '100-continue' }),
      ).toEqual({
        status: 401,
        body: { error: 'Unauthorized.' },
        closed: true,
      });
    });

    it('sends `100 Continue` to a client that waits for it only once the request passed the checks', async () => {
      const clients = await newsSubscribers();
      const body = JSON.stringify({ channel: 'news', data: { title: 'continued' } });
      const socket = connect(a.port, '127.0.0.1');
      try {
        let received = '';
        socket.on('data', (chunk: Buffer) => (received += chunk.toString()));
        socket.write(
          `POST /_broadcast HTTP/1.1\r\nhost: 127.0.0.1:${a.port}\r\ncontent-type: application/json\r\n` +
            `authorization: Bearer ${token}\r\ncontent-length: ${body.length}\r\nexpect: 100-continue\r\n\r\n`,
        );
        await eventually(
          () => received,
          (text) => text.includes('\r\n\r\n'),
          { timeoutMs: 3000, what: '100 Continue' },
        );
        expect(received).toBe('HTTP/1.1 100 Continue\r\n\r\n');
        socket.write(body);
        await eventually(
          () => received,
          (text) => text.endsWith('{"status":"success"}'),
          { timeoutMs: 3000, what: 'the answer' },
        );
        expect(received).toMatch(/^HTTP\/1\.1 100 Continue\r\n\r\nHTTP\/1\.1 200 OK\r\n/);
        for (const client of clients) {
          expect(await exactly(client, 1)).toEqual([{ type: 'data', channel: 'news', data: { title: 'continued' } }]);
        }
      } finally {
        socket.destroy();
      }
    });

    it('413 and stops reading a chunked body once it passes maxBodyBytes', async () => {
      const limited = await startInstance(
        'M',
        redisModule(redis.url, prefix, { broadcast: { maxBodyBytes: 1000 } }),
        platform,
      );
      try {
        const result = await chunkedFlood(limited.port, '/_broadcast', 64 * 1024 * 1024);
        // The server answered and closed long before the 64 MiB were sent.
        expect(result.status).toBe(413);
        expect(result.sent).toBeLessThan(32 * 1024 * 1024);
        // Within the limit: read and published.
        expect(await post(`${limited.http}/_broadcast`, { channel: 'news', data: { title: 'small' } })).toEqual({
          status: 200,
          body: { status: 'success' },
        });
        // Over it, with the length declared or not.
        const big = JSON.stringify({ channel: 'news', data: { title: 'x'.repeat(2000) } });
        expect((await post(`${limited.http}/_broadcast`, big)).status).toBe(413);
      } finally {
        await limited.close();
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
      for (const body of [
        '{"channel": "news", ',
        '[1, 2]',
        '"news"',
        JSON.stringify({ data: {} }),
        JSON.stringify({ channel: 7 }),
      ]) {
        const response = await post(`${a.http}/_broadcast`, body, auth);
        expect(response.status).toBe(400);
        expect(response.body).toEqual({ error: expect.any(String) });
      }
    });

    it('400 with the validation errors when `data` does not fit the channel’s parameters; nothing is published', async () => {
      const clients = await newsSubscribers();
      const response = await post(
        `${a.http}/_broadcast`,
        { channel: 'news', data: { title: 'x', priority: 'high' } },
        auth,
      );
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

    it("leaves other methods on its path to the framework: the framework's 404 where the app has no such route", async () => {
      for (const method of ['GET', 'PUT', 'DELETE']) {
        const response = await fetch(`${a.http}/_broadcast`, { method, headers: auth });
        expect([method, response.status]).toEqual([method, 404]);
        expect(await response.text()).not.toContain('success');
      }
    });

    it('is off when the option is absent', async () => {
      const response = await post(`${b.http}/_broadcast`, { channel: 'news', data: {} });
      expect(response.status).toBe(404);
      expect(response.body).not.toEqual({ status: 'success' });
    });
  });
});

describe('the HTTP bridge at startup', () => {
  it('warns at startup when the bridge has no token, not when it has one', async () => {
    const warnings = async (broadcast: BroadcastOptions) => {
      const warned: string[] = [];
      const logger: LoggerService = {
        log: () => undefined,
        error: () => undefined,
        warn: (message: unknown) => void warned.push(String(message)),
      };
      const moduleRef = await Test.createTestingModule({
        imports: [SocketApiModule.forRoot({ broadcast, heartbeat: false })],
        providers: [FeedService],
      }).compile();
      const app = moduleRef.createNestApplication({ logger });
      try {
        await app.init();
      } finally {
        await app.close();
      }
      return warned;
    };
    expect(await warnings({})).toEqual([
      'The broadcast endpoint POST /_broadcast has no token: any process on this machine can publish on every channel. ' +
        'Set broadcast.token to require `Authorization: Bearer <token>`.',
    ]);
    expect(await warnings({ allowedHosts: ['10.0.0.0/8'] })).toEqual([
      expect.stringContaining('any process on this machine or on allowedHosts can publish'),
    ]);
    expect(await warnings({ token })).toEqual([]);
  });

  it('fails at startup on a bad maxBodyBytes or allowedHosts entry, naming it', async () => {
    const start = async (broadcast: BroadcastOptions) => {
      const moduleRef = await Test.createTestingModule({
        imports: [SocketApiModule.forRoot({ broadcast, heartbeat: false })],
        providers: [FeedService],
      }).compile();
      await moduleRef.close();
    };
    await expect(start({ maxBodyBytes: -1 })).rejects.toThrow(
      'broadcast.maxBodyBytes must be an integer ≥ 1 (bytes), got -1',
    );
    await expect(start({ maxBodyBytes: NaN })).rejects.toThrow('broadcast.maxBodyBytes must be');
    await expect(start({ allowedHosts: ['intranet.local'] })).rejects.toThrow(
      "broadcast.allowedHosts[0]: 'intranet.local' is neither an IP address nor a CIDR",
    );
  });
});
