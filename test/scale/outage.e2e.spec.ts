import 'reflect-metadata';
import { createServer, type Socket } from 'node:net';
import { Redis } from 'ioredis';
import { RedisBroker, SocketApiEmitter, SocketApiModule } from '../../lib/index.js';
import { useCleanup } from '../support/cleanup.js';
import { describeWithRedis, freePort, RedisServer } from '../support/redis-server.js';
import { eventually, sleep } from '../support/wait.js';
import { TestClient } from '../support/ws-client.js';
import { act, redisSubscribers, startInstance, subscriber, takeData, type Instance } from './scale-app.js';
import { recordingLogger } from '../support/recording-logger.js';

type Item = { from: string; seq: number };

/** Calls `emit` from one client, one after the other, until stopped; remembers what it published. */
class Publisher {
  seq = 0;
  private running = true;
  private loop?: Promise<void>;

  constructor(
    private readonly client: TestClient,
    private readonly from: string,
    private readonly everyMs: number,
  ) {}

  start(): this {
    this.loop = (async () => {
      while (this.running) {
        const reply = await act(this.client, 'emit', { from: this.from, seq: this.seq });
        expect(reply).toMatchObject({ type: 'action', status: 'completed', data: this.seq });
        this.seq++;
        await sleep(this.everyMs);
      }
    })();
    return this;
  }

  async stop(): Promise<number> {
    this.running = false;
    await this.loop;
    return this.seq;
  }
}

/** Every item a subscriber got, by publisher. */
class Received {
  readonly items: Item[] = [];
  constructor(private readonly client: TestClient) {}

  drain(): Item[] {
    this.items.push(...(takeData(this.client) as Item[]));
    return this.items;
  }

  seqs(from: string): number[] {
    return this.drain()
      .filter((item) => item.from === from)
      .map((item) => item.seq);
  }
}

const range = (from: number, to: number) => Array.from({ length: Math.max(0, to - from) }, (_, i) => from + i);

describeWithRedis('scale-out through Redis: outages', () => {
  describe('Redis killed mid-stream and restarted on the same port', () => {
    const prefix = 'outage';
    let redis: RedisServer;
    let admin: Redis;
    let a: Instance;
    let b: Instance;
    let brokerA: RedisBroker;
    let brokerB: RedisBroker;
    const loggerA = recordingLogger();
    const loggerB = recordingLogger();
    const cleanup = useCleanup();

    beforeAll(async () => {
      redis = await RedisServer.start();
      admin = new Redis(redis.url, { retryStrategy: () => 100, enableOfflineQueue: false });
      admin.on('error', () => undefined);
      brokerA = new RedisBroker({ connection: redis.url, prefix, logger: loggerA });
      brokerB = new RedisBroker({ connection: redis.url, prefix, logger: loggerB });
      a = await startInstance('A', SocketApiModule.forRoot({ broker: brokerA, heartbeat: false }));
      b = await startInstance('B', SocketApiModule.forRoot({ broker: brokerB, heartbeat: false }));
    });

    afterAll(async () => {
      await a?.close();
      await b?.close();
      admin?.disconnect();
      await redis?.stop();
    });

    it('keeps serving local subscribers, resumes cross-instance delivery after reconnecting, and says what was lost', async () => {
      const onA = new Received(cleanup.track(await subscriber(a)));
      const onB = new Received(cleanup.track(await subscriber(b)));
      await redisSubscribers(admin, prefix, 'feed', 2);
      const fromB = new Publisher(cleanup.track(await TestClient.open(b.url)), 'B', 5).start();
      const fromA = new Publisher(cleanup.track(await TestClient.open(a.url)), 'A', 5).start();

      // Streaming across instances.
      await eventually(
        () => onA.seqs('B').length,
        (n) => n >= 50,
        { timeoutMs: 10_000, what: 'A to get 50 of B’s publications' },
      );

      // Outage: a crash, no goodbye.
      await redis.kill();
      const killedAt = { B: fromB.seq, A: fromA.seq };
      await eventually(
        () => brokerB.stats.outages,
        (n) => n === 1,
        { timeoutMs: 5000, what: 'B to notice the outage' },
      );
      await sleep(1500);
      const outage = { B: fromB.seq - killedAt.B, A: fromA.seq - killedAt.A };
      // Local delivery went on: B's subscriber has every B publication so far, A's every A one (the
      // one in flight may be there already: a publication reaches subscribers before the action's reply).
      for (const [received, publisher] of [
        [onB, fromB],
        [onA, fromA],
      ] as const) {
        const got = received.seqs(publisher === fromB ? 'B' : 'A');
        expect(got).toEqual(range(0, got.length));
        expect(got.length).toBeGreaterThanOrEqual(publisher.seq);
      }
      expect(brokerB.connected).toBe(false);

      // Back, on the same port, empty (no persistence): the brokers reconnect and resubscribe by themselves.
      await redis.start();
      const restartedAt = { B: fromB.seq, A: fromA.seq };
      await eventually(() => brokerA.connected && brokerB.connected, Boolean, {
        timeoutMs: 10_000,
        what: 'both brokers to reconnect',
      });
      await redisSubscribers(admin, prefix, 'feed', 2);
      // The publication in flight now may have been made before the resubscription: count from the next.
      const resumedAt = { B: fromB.seq + 1, A: fromA.seq + 1 };
      await eventually(
        () => onA.seqs('B').filter((seq) => seq >= resumedAt.B).length,
        (n) => n >= 20,
        { timeoutMs: 10_000, what: 'B→A to resume' },
      );
      await eventually(
        () => onB.seqs('A').filter((seq) => seq >= resumedAt.A).length,
        (n) => n >= 20,
        { timeoutMs: 10_000, what: 'A→B to resume' },
      );

      const published = { B: await fromB.stop(), A: await fromA.stop() };
      await sleep(300);

      // Local subscribers lost nothing, ever, and got everything once, in order.
      expect(onB.seqs('B')).toEqual(range(0, published.B));
      expect(onA.seqs('A')).toEqual(range(0, published.A));

      for (const [from, to, received] of [
        ['B', 'A', onA],
        ['A', 'B', onB],
      ] as const) {
        const got = received.seqs(from);
        // Never twice, never out of order.
        expect(got).toEqual([...new Set(got)].sort((x, y) => x - y));
        const missing = range(0, published[from]).filter((seq) => !new Set(got).has(seq));
        // What is lost lies within the outage: from the kill (give or take the few publications
        // still on their way to Redis when it died) to the resubscription.
        for (const seq of missing) {
          expect(seq).toBeGreaterThanOrEqual(killedAt[from] - 5);
          expect(seq).toBeLessThan(resumedAt[from]);
        }
        // Everything published once the resubscription was in place arrived.
        expect(got.filter((seq) => seq >= resumedAt[from])).toEqual(range(resumedAt[from], published[from]));
        console.log(
          `${from}→${to}: ${published[from]} published, ${got.length} received on ${to}; lost ${missing.length} ` +
            `(all within the outage: killed at #${killedAt[from]}, Redis back at #${restartedAt[from]}, ` +
            `resubscribed by #${resumedAt[from]}; ${outage[from]} published while Redis was down). ` +
            `${from}'s local subscriber lost 0.`,
        );
        expect(missing.length).toBeGreaterThan(0);
      }

      // Publications made while Redis was down were dropped (counted), not queued or thrown.
      expect(brokerB.stats.dropped).toBeGreaterThanOrEqual(outage.B - 5);
      expect(brokerB.stats.outages).toBe(1);
      // One warning for the outage, one line for the recovery: not one per publication.
      expect(loggerB.warns).toHaveLength(1);
      expect(loggerB.warns[0]).toMatch(/^Lost the connection to Redis at 127\.0\.0\.1:\d+/);
      expect(loggerB.logs.filter((message) => message.startsWith('Reconnected'))).toHaveLength(1);
      expect(loggerA.warns).toHaveLength(1);
      expect(loggerB.errors).toEqual([]);
      console.log(
        `B's broker logged:\n  ${[...loggerB.warns, ...loggerB.logs.filter((m) => m.startsWith('Reconnected'))].join('\n  ')}`,
      );

      // Both apps still serve actions.
      for (const instance of [a, b]) {
        const client = cleanup.track(await TestClient.open(instance.url));
        expect(await act(client, 'emit', { from: 'late', seq: 0 })).toMatchObject({ status: 'completed', data: 0 });
      }
    }, 60_000);
  });

  describe('startup with Redis unreachable', () => {
    const cleanup = useCleanup();

    it('fails with a clear error after redis.connectTimeoutMs when nothing listens', async () => {
      const port = await freePort();
      const started = Date.now();
      await expect(
        startInstance(
          'A',
          SocketApiModule.forRoot({ redis: { connection: `redis://127.0.0.1:${port}`, connectTimeoutMs: 800 } }),
        ),
      ).rejects.toThrow(new RegExp(`^Cannot reach Redis at 127\\.0\\.0\\.1:${port} within 800 ms`));
      const elapsed = Date.now() - started;
      expect(elapsed).toBeGreaterThanOrEqual(750);
      expect(elapsed).toBeLessThan(3000);
    });

    it('does not hang on a server that accepts and never answers, and leaves no connection behind', async () => {
      const sockets = new Set<Socket>();
      // Reads (and ignores) everything, answers nothing: the ready check never completes.
      const silent = createServer((socket) => {
        socket.resume();
        sockets.add(socket);
        socket.on('close', () => sockets.delete(socket));
      });
      await new Promise<void>((resolve) => silent.listen(0, '127.0.0.1', resolve));
      cleanup.add(async () => {
        for (const socket of sockets) socket.destroy();
        await new Promise((resolve) => silent.close(resolve));
      });
      const { port } = silent.address() as { port: number };
      const started = Date.now();
      await expect(
        startInstance(
          'A',
          SocketApiModule.forRoot({ redis: { connection: { host: '127.0.0.1', port }, connectTimeoutMs: 600 } }),
        ),
      ).rejects.toThrow(`Cannot reach Redis at 127.0.0.1:${port} within 600 ms`);
      expect(Date.now() - started).toBeLessThan(3000);
      await eventually(
        () => sockets.size,
        (n) => n === 0,
        { timeoutMs: 3000, what: 'the broker’s connections to close' },
      );
    });

    it('waits 5 s by default', async () => {
      const port = await freePort();
      const started = Date.now();
      await expect(startInstance('A', SocketApiModule.forRoot({ redis: `redis://127.0.0.1:${port}` }))).rejects.toThrow(
        `Cannot reach Redis at 127.0.0.1:${port} within 5000 ms`,
      );
      expect(Date.now() - started).toBeLessThan(7000);
    }, 15_000);

    it('the emitter rejects a publication it cannot deliver, after its timeout', async () => {
      const port = await freePort();
      const emitter = cleanup.track(
        new SocketApiEmitter({ connection: `redis://127.0.0.1:${port}`, connectTimeoutMs: 300 }),
      );
      await expect(emitter.publish('feed', { x: 1 })).rejects.toThrow(
        `Cannot reach Redis at 127.0.0.1:${port} within 300 ms`,
      );
    });
  });
});
