import 'reflect-metadata';
import { Controller, Get, Injectable, Module, type CanActivate } from '@nestjs/common';
import { APP_GUARD } from '@nestjs/core';
import { Test } from '@nestjs/testing';
import { HealthCheck, HealthCheckService, TerminusModule } from '@nestjs/terminus';
import {
  SocketAction,
  SocketApiHealthIndicator,
  SocketApiModule,
  type SocketApiHealthOptions,
  type SocketApiModuleOptions,
} from '../../lib/index.js';
import { useCleanup } from '../support/cleanup.js';
import { PLATFORMS, type Platform } from '../support/platforms.js';
import { describeWithRedis, RedisServer } from '../support/redis-server.js';
import { startApp, type TestApp } from '../support/test-app.js';
import { eventually } from '../support/wait.js';
import { TestClient } from '../support/ws-client.js';

/** Holds `slow` until the test opens it: an action in flight while the app shuts down. */
class Gate {
  open!: () => void;
  readonly opened = new Promise<void>((resolve) => (this.open = resolve));
}

@Injectable()
class SlowActions {
  static gate = new Gate();

  @SocketAction('slow')
  async slow(): Promise<string> {
    await SlowActions.gate.opened;
    return 'done';
  }
}

/** Refuses every request the framework routes: the probes, served ahead of it, must not care. */
class RefuseAll implements CanActivate {
  canActivate(): boolean {
    return false;
  }
}

@Controller('terminus')
class TerminusController {
  constructor(
    private readonly health: HealthCheckService,
    private readonly socketApi: SocketApiHealthIndicator,
  ) {}

  @Get()
  @HealthCheck()
  check() {
    return this.health.check([() => this.socketApi.isHealthy()]);
  }
}

interface Probe {
  status: number;
  headers: Headers;
  body: string;
}

async function probe(app: TestApp, path: string, method = 'GET'): Promise<Probe> {
  const response = await fetch(`${app.url.replace('ws:', 'http:')}${path}`, { method });
  return { status: response.status, headers: response.headers, body: await response.text() };
}

const OK = '{"status":"ok"}';
const unavailable = (reason: string) => `{"status":"unavailable","reason":"${reason}"}`;

describe.each(PLATFORMS)('The health probes on %s', (platform: Platform) => {
  const cleanup = useCleanup();

  async function start(options: SocketApiModuleOptions, { prefixAndGuard = false } = {}): Promise<TestApp> {
    const app = await startApp(
      {
        imports: [SocketApiModule.forRoot({ heartbeat: false, ...options }), TerminusModule],
        controllers: [TerminusController],
        providers: [SlowActions, ...(prefixAndGuard ? [{ provide: APP_GUARD, useClass: RefuseAll }] : [])],
      },
      (nest) => {
        if (prefixAndGuard) nest.setGlobalPrefix('api');
      },
      platform,
    );
    cleanup.add(() => app.close());
    return app;
  }

  it('answers live and ready with 200 and a JSON body nobody caches; HEAD without the body; a query is ignored', async () => {
    const app = await start({ health: true });
    for (const path of ['/health/live', '/health/ready', '/health/ready?verbose=1&x=%00']) {
      const answer = await probe(app, path);
      expect([path, answer.status, answer.body]).toEqual([path, 200, OK]);
      expect(answer.headers.get('content-type')).toBe('application/json; charset=utf-8');
      expect(answer.headers.get('cache-control')).toBe('no-store');
    }
    const head = await probe(app, '/health/ready', 'HEAD');
    expect([head.status, head.body, head.headers.get('content-length')]).toEqual([200, '', String(OK.length)]);
  });

  it.each(['POST', 'PUT', 'DELETE', 'OPTIONS'])('refuses %s with 405 and Allow: GET, HEAD', async (method) => {
    const app = await start({ health: true });
    const answer = await probe(app, '/health/live', method);
    expect(answer.status).toBe(405);
    expect(answer.headers.get('allow')).toBe('GET, HEAD');
    expect(JSON.parse(answer.body)).toEqual({ error: 'Method not allowed: use GET or HEAD' });
  });

  it("is served ahead of the app's global guard and global prefix, at the paths given", async () => {
    const paths: SocketApiHealthOptions = { livePath: '/livez', readyPath: '/readyz' };
    const app = await start({ health: paths }, { prefixAndGuard: true });
    expect(await probe(app, '/livez')).toMatchObject({ status: 200, body: OK });
    expect(await probe(app, '/readyz')).toMatchObject({ status: 200, body: OK });
    // The framework's own routes stay behind the guard, and the default paths are not ours here.
    expect((await probe(app, '/api/terminus')).status).toBe(403);
    expect((await probe(app, '/health/live')).status).toBe(404);
    expect((await probe(app, '/livez/')).status).toBe(404);
  });

  it('serves nothing without the health option', async () => {
    const app = await start({});
    expect((await probe(app, '/health/live')).status).toBe(404);
    expect((await probe(app, '/health/ready')).status).toBe(404);
  });

  it('turns ready 503 as soon as shutdown drains the sockets, live staying 200, terminus 503 too', async () => {
    SlowActions.gate = new Gate();
    const app = await start({ health: true, shutdownTimeoutMs: 10_000 });
    expect(JSON.parse((await probe(app, '/terminus')).body)).toMatchObject({
      status: 'ok',
      info: { socketapi: { status: 'up' } },
    });
    const client = await TestClient.open(app.url);
    cleanup.add(() => client.socket.terminate());
    client.send({ type: 'action', channel: 'slow', id: 1 });
    // The action runs (its reply held by the gate) when the app starts closing.
    await eventually(
      () => probe(app, '/health/ready'),
      (answer) => answer.status === 200,
    );
    const closing = app.close();
    const drained = await eventually(
      () => probe(app, '/health/ready'),
      (answer) => answer.status === 503,
      { what: 'ready 503 while draining' },
    );
    expect(drained.body).toBe(unavailable('draining'));
    expect(await probe(app, '/health/live')).toMatchObject({ status: 200, body: OK });
    const terminus = await probe(app, '/terminus');
    expect(terminus.status).toBe(503);
    expect(JSON.parse(terminus.body)).toMatchObject({
      status: 'error',
      error: { socketapi: { status: 'down', reason: 'draining' } },
    });
    // Still draining: the action in flight has not been answered yet.
    expect(client.frames).toEqual([]);
    SlowActions.gate.open();
    expect(await client.next()).toEqual([
      { type: 'action', channel: 'slow', status: 'completed', data: 'done', id: 1 },
    ]);
    await closing;
  });
});

describe('SocketApiHealthIndicator', () => {
  it('is down, starting, before the app serves, up once it does', async () => {
    const moduleRef = await Test.createTestingModule({
      imports: [SocketApiModule.forRoot({ heartbeat: false })],
    }).compile();
    const app = moduleRef.createNestApplication({ logger: false });
    try {
      const indicator = app.get(SocketApiHealthIndicator);
      expect(indicator.isHealthy()).toEqual({ socketapi: { status: 'down', reason: 'starting' } });
      await app.listen(0, '127.0.0.1');
      expect(indicator.isHealthy('ws')).toEqual({ ws: { status: 'up' } });
    } finally {
      await app.close();
    }
  });

  it('takes a broker without `connected` as connected, and one with it at its word', async () => {
    const broker = {
      connected: true,
      connect: async () => {},
      publish: () => {},
      watch: () => {},
      unwatch: () => {},
      close: async () => {},
    };
    @Module({ imports: [SocketApiModule.forRoot({ heartbeat: false, broker })] })
    class BrokerApp {}
    const app = await startApp({ imports: [BrokerApp] });
    try {
      const indicator = app.app.get(SocketApiHealthIndicator);
      expect(indicator.isHealthy()).toEqual({ socketapi: { status: 'up' } });
      broker.connected = false;
      expect(indicator.isHealthy()).toEqual({ socketapi: { status: 'down', reason: 'broker' } });
    } finally {
      await app.close();
    }
  });
});

describeWithRedis('Readiness and a Redis outage', () => {
  const cleanup = useCleanup();

  it('is 503 (broker) while redis-server is down and 200 again once it is back, without a restart of the app', async () => {
    const redis = await RedisServer.start();
    cleanup.add(() => redis.kill());
    const app = await startApp({
      imports: [SocketApiModule.forRoot({ heartbeat: false, health: true, redis: redis.url }), TerminusModule],
      controllers: [TerminusController],
    });
    cleanup.add(() => app.close());
    expect(await probe(app, '/health/ready')).toMatchObject({ status: 200, body: OK });

    await redis.stop();
    // ioredis sees the connection close at once; 5 s is a generous bound for a loaded machine.
    const down = await eventually(
      () => probe(app, '/health/ready'),
      (answer) => answer.status === 503,
      { timeoutMs: 5000, what: 'ready 503 after redis-server stopped' },
    );
    expect(down.body).toBe(unavailable('broker'));
    expect(await probe(app, '/health/live')).toMatchObject({ status: 200, body: OK });
    expect(JSON.parse((await probe(app, '/terminus')).body)).toMatchObject({
      error: { socketapi: { status: 'down', reason: 'broker' } },
    });

    await redis.start();
    // The reconnection backoff is at most 1.2 s; 10 s leaves room for a loaded machine.
    await eventually(
      () => probe(app, '/health/ready'),
      (answer) => answer.status === 200 && answer.body === OK,
      { timeoutMs: 10_000, what: 'ready 200 after redis-server came back' },
    );
    expect((await probe(app, '/terminus')).status).toBe(200);
  });
});
