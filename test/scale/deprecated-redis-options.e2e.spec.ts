import 'reflect-metadata';
import type { Server } from 'node:http';
import { Redis } from 'ioredis';
import type { INestApplication } from '@nestjs/common';
import { Test } from '@nestjs/testing';
import { SocketApiEmitter, SocketApiModule, type SocketApiModuleOptions } from '../../lib/index.js';
import { CapturingLogger } from '../support/capturing-logger.js';
import { describeWithRedis, RedisServer } from '../support/redis-server.js';
import type { TestClient } from '../support/ws-client.js';
import { exactly, FeedService, redisSubscribers, subscriber, type Instance } from './scale-app.js';

/**
 * The module's Redis options before 0.2 (`redisPrefix`, `redisSecret`, ...) still work: each one
 * takes effect, and startup logs one deprecation warning for it naming its new spelling.
 */
describeWithRedis('deprecated Redis option names', () => {
  let redis: RedisServer;
  let admin: Redis;
  let app: INestApplication | undefined;
  let client: TestClient | undefined;
  let emitter: SocketApiEmitter | undefined;

  beforeAll(async () => {
    redis = await RedisServer.start();
    admin = new Redis(redis.url);
  });

  afterEach(async () => {
    await client?.close().catch(() => undefined);
    await emitter?.close();
    await app?.close();
    [client, emitter, app] = [undefined, undefined, undefined];
  });

  afterAll(async () => {
    admin?.disconnect();
    await redis?.stop();
  });

  async function start(options: SocketApiModuleOptions, logger: CapturingLogger): Promise<Instance> {
    const moduleRef = await Test.createTestingModule({
      imports: [SocketApiModule.forRoot(options)],
      providers: [FeedService],
    })
      .setLogger(logger)
      .compile();
    app = moduleRef.createNestApplication({ logger: false });
    await app.listen(0, '127.0.0.1');
    const { port } = (app.getHttpServer() as Server).address() as { port: number };
    return { url: `ws://127.0.0.1:${port}` } as Instance;
  }

  it('redisPrefix and redisSecret take effect, each with one warning at startup', async () => {
    const logger = new CapturingLogger();
    const instance = await start(
      { redis: redis.url, redisPrefix: 'legacy', redisSecret: 'old secret', heartbeat: false },
      logger,
    );
    expect(logger.lines.filter((line) => line.level === 'warn').map((line) => line.message)).toEqual([
      "Option 'redisPrefix' is deprecated and will be removed in 1.0: use redis: { connection, prefix } instead.",
      "Option 'redisSecret' is deprecated and will be removed in 1.0: use redis: { connection, secret } instead.",
    ]);

    client = await subscriber(instance);
    await redisSubscribers(admin, 'legacy', 'feed', 1);
    // Signed with another secret, or sent under another prefix: ignored. With the app's: delivered.
    for (const [prefix, secret] of [
      ['socketapi', 'old secret'],
      ['legacy', 'another secret'],
      ['legacy', 'old secret'],
    ]) {
      emitter = new SocketApiEmitter({ connection: redis.url, prefix, secret });
      await emitter.publish('feed', { prefix, secret });
      await emitter.close();
    }
    expect(await exactly(client, 1)).toEqual([
      { type: 'data', channel: 'feed', data: { prefix: 'legacy', secret: 'old secret' } },
    ]);
  });

  it('the new spelling logs nothing', async () => {
    const logger = new CapturingLogger();
    await start({ redis: { connection: redis.url, prefix: 'modern', secret: 's' }, heartbeat: false }, logger);
    expect(logger.lines.filter((line) => line.level === 'warn')).toEqual([]);
  });
});
