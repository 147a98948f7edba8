import 'reflect-metadata';
import { Redis } from 'ioredis';
import { RedisBroker, SocketApiEmitter, SocketApiModule } from '../../lib/index.js';
import { useCleanup } from '../support/cleanup.js';
import { describeWithRedis, RedisServer } from '../support/redis-server.js';
import { eventually, sleep } from '../support/wait.js';
import { TestClient } from '../support/ws-client.js';
import {
  act,
  exactly,
  numsub,
  redisModule,
  redisSubscribers,
  startInstance,
  subscriber,
  type Instance,
} from './scale-app.js';

type Item = { from: string; seq: number };

function dataOf(frames: unknown[]): Item[] {
  return frames.map((frame) => {
    expect(frame).toMatchObject({ type: 'data', channel: 'feed' });
    return (frame as { data: Item }).data;
  });
}

/** Asserts each publisher's items arrived once each and in its order: seq 0..n-1 per `from`. */
function expectPerPublisherOrder(items: Item[], counts: Record<string, number>): void {
  const byFrom = new Map<string, number[]>();
  for (const { from, seq } of items) byFrom.set(from, [...(byFrom.get(from) ?? []), seq]);
  expect(new Set(byFrom.keys())).toEqual(new Set(Object.keys(counts)));
  for (const [from, count] of Object.entries(counts)) {
    expect(byFrom.get(from)).toEqual(Array.from({ length: count }, (_, seq) => seq));
  }
}

describeWithRedis('scale-out through Redis: fan-out', () => {
  let redis: RedisServer;
  let admin: Redis;
  const cleanup = useCleanup();

  beforeAll(async () => {
    redis = await RedisServer.start();
    admin = new Redis(redis.url);
  });

  afterAll(async () => {
    await admin?.quit();
    await redis?.stop();
  });

  describe('two instances', () => {
    const prefix = 'two';
    let a: Instance;
    let b: Instance;

    beforeAll(async () => {
      a = await startInstance('A', redisModule(redis.url, prefix));
      // The other way to configure it: forRootAsync.
      b = await startInstance(
        'B',
        SocketApiModule.forRootAsync({
          useFactory: () => ({ redis: { connection: redis.url, prefix }, heartbeat: false }),
        }),
      );
    });

    afterAll(async () => {
      await a?.close();
      await b?.close();
    });

    it('uses the Redis broker when `redis` is given', () => {
      expect(a.broker).toBeInstanceOf(RedisBroker);
      expect(b.broker).toBeInstanceOf(RedisBroker);
      expect((a.broker as RedisBroker).instanceId).not.toEqual((b.broker as RedisBroker).instanceId);
    });

    it('a publication on B reaches the subscriber on A once, and the local one on B once (not again via Redis)', async () => {
      const onA = cleanup.track(await subscriber(a));
      const onB = cleanup.track(await subscriber(b));
      await redisSubscribers(admin, prefix, 'feed', 2);
      const publisher = cleanup.track(await TestClient.open(b.url));

      await act(publisher, 'emit', { from: 'B', seq: 0 });
      expect(await exactly(onA, 1)).toEqual([{ type: 'data', channel: 'feed', data: { from: 'B', seq: 0 } }]);
      expect(await exactly(onB, 1)).toEqual([{ type: 'data', channel: 'feed', data: { from: 'B', seq: 0 } }]);

      // And the other way round: A's publication, A's subscriber gets it once.
      const publisherA = cleanup.track(await TestClient.open(a.url));
      await act(publisherA, 'emit', { from: 'A', seq: 0 });
      expect(await exactly(onA, 1)).toEqual([{ type: 'data', channel: 'feed', data: { from: 'A', seq: 0 } }]);
      expect(await exactly(onB, 1)).toEqual([{ type: 'data', channel: 'feed', data: { from: 'A', seq: 0 } }]);
    });

    it('sends one PUBLISH per publication, whatever the number of subscribers, as `v1 <instance id>\\n<data frame>`', async () => {
      const local = await Promise.all(Array.from({ length: 5 }, async () => cleanup.track(await subscriber(b))));
      const tap = admin.duplicate();
      cleanup.add(() => tap.disconnect());
      const seen: Buffer[] = [];
      tap.on('messageBuffer', (_channel: Buffer, message: Buffer) => seen.push(message));
      await tap.subscribe(`${prefix}:feed`);
      const publisher = cleanup.track(await TestClient.open(b.url));
      for (let seq = 0; seq < 10; seq++) await act(publisher, 'emit', { from: 'B', seq });
      for (const client of local) expect(await exactly(client, 10)).toHaveLength(10);
      await sleep(200);
      expect(seen).toHaveLength(10);
      const id = (b.broker as RedisBroker).instanceId;
      expect(seen[3].toString()).toBe(`v1 ${id}\n{"type":"data","channel":"feed","data":{"from":"B","seq":3}}`);
    });

    it('subscribes on Redis only while the instance has local subscribers (unsubscribes propagate)', async () => {
      const key = `${prefix}:feed`;
      await redisSubscribers(admin, prefix, 'feed', 0);

      const a1 = cleanup.track(await subscriber(a));
      const a2 = cleanup.track(await subscriber(a));
      await redisSubscribers(admin, prefix, 'feed', 1);
      const b1 = cleanup.track(await subscriber(b));
      await redisSubscribers(admin, prefix, 'feed', 2);

      // One of A's two leaves: A keeps its Redis subscription.
      a1.send({ type: 'unsubscribe', channel: 'feed', id: 'u' });
      expect(await a1.next()).toEqual([{ type: 'unsubscribed', channel: 'feed', id: 'u' }]);
      await sleep(200);
      expect(await numsub(admin, key)).toBe(2);

      // A's last subscriber disconnects: A's subscription is gone, B's stays.
      await a2.close();
      await redisSubscribers(admin, prefix, 'feed', 1);
      expect(await admin.pubsub('CHANNELS', `${prefix}:*`)).toEqual([key]);
      expect((a.broker as RedisBroker).watchedChannels.has('feed')).toBe(false);

      // B's publications still reach B's subscriber, and nobody on A.
      const publisher = cleanup.track(await TestClient.open(b.url));
      await act(publisher, 'emit', { from: 'B', seq: 0 });
      expect(await exactly(b1, 1)).toHaveLength(1);
      expect(a1.frames).toEqual([]);

      b1.send({ type: 'unsubscribe', channel: 'feed', id: 'u' });
      expect(await b1.next()).toEqual([{ type: 'unsubscribed', channel: 'feed', id: 'u' }]);
      await redisSubscribers(admin, prefix, 'feed', 0);
      expect(await admin.pubsub('CHANNELS', `${prefix}:*`)).toEqual([]);

      // Coming back: subscribed on Redis again, delivery works again.
      const again = cleanup.track(await subscriber(a));
      await redisSubscribers(admin, prefix, 'feed', 1);
      await act(publisher, 'emit', { from: 'B', seq: 1 });
      expect(await exactly(again, 1)).toEqual([{ type: 'data', channel: 'feed', data: { from: 'B', seq: 1 } }]);
    });
  });

  describe('three instances', () => {
    const prefix = 'three';
    let a: Instance;
    let b: Instance;
    let c: Instance;

    beforeAll(async () => {
      [a, b, c] = await Promise.all(['A', 'B', 'C'].map((name) => startInstance(name, redisModule(redis.url, prefix))));
    });

    afterAll(async () => {
      await Promise.all([a, b, c].map((instance) => instance?.close()));
    });

    it('200 publications from B and C, interleaved, reach A exactly once each, in each publisher’s order', async () => {
      const onA = cleanup.track(await subscriber(a));
      await redisSubscribers(admin, prefix, 'feed', 1);
      const fromB = cleanup.track(await TestClient.open(b.url));
      const fromC = cleanup.track(await TestClient.open(c.url));

      // In rounds: B and C publish at the same time, so A's stream alternates between them.
      for (let seq = 0; seq < 100; seq++) {
        await Promise.all([act(fromB, 'emit', { from: 'B', seq }), act(fromC, 'emit', { from: 'C', seq })]);
      }
      const items = dataOf(await exactly(onA, 200, 15_000, 500));
      expectPerPublisherOrder(items, { B: 100, C: 100 });
      const switches = items.filter((item, i) => i > 0 && item.from !== items[i - 1].from).length;
      expect(switches).toBeGreaterThanOrEqual(50);
      console.log(
        `A got 200/200 publications from B and C, exactly once; the source changed ${switches} times along the stream`,
      );
    });

    it('200 publications fired at once from B and C (no waiting) reach A exactly once, in each publisher’s order', async () => {
      const onA = cleanup.track(await subscriber(a));
      await redisSubscribers(admin, prefix, 'feed', 1);
      const fromB = cleanup.track(await TestClient.open(b.url));
      const fromC = cleanup.track(await TestClient.open(c.url));
      for (let seq = 0; seq < 100; seq++) {
        fromB.send({ type: 'action', channel: 'emit', data: { from: 'B', seq } });
        fromC.send({ type: 'action', channel: 'emit', data: { from: 'C', seq } });
      }
      expectPerPublisherOrder(dataOf(await exactly(onA, 200, 15_000, 500)), { B: 100, C: 100 });
    });

    it('bursts (many publications per action) keep their order too', async () => {
      const onA = cleanup.track(await subscriber(a));
      await redisSubscribers(admin, prefix, 'feed', 1);
      const fromB = cleanup.track(await TestClient.open(b.url));
      const fromC = cleanup.track(await TestClient.open(c.url));
      for (let start = 0; start < 500; start += 50) {
        fromB.send({ type: 'action', channel: 'emit_many', data: { from: 'B', start, count: 50 } });
        fromC.send({ type: 'action', channel: 'emit_many', data: { from: 'C', start, count: 50 } });
      }
      expectPerPublisherOrder(dataOf(await exactly(onA, 1000, 15_000, 500)), { B: 500, C: 500 });
    });

    it('subscribers on every instance get every publication, once, in each publisher’s order', async () => {
      const instances = [a, b, c];
      const subscribers = await Promise.all(instances.flatMap((i) => [subscriber(i), subscriber(i)]));
      subscribers.forEach(cleanup.track);
      await redisSubscribers(admin, prefix, 'feed', 3);
      const publishers = await Promise.all(instances.map((i) => TestClient.open(i.url)));
      publishers.forEach(cleanup.track);
      for (let seq = 0; seq < 20; seq++) {
        publishers.forEach((publisher, i) =>
          publisher.send({ type: 'action', channel: 'emit', data: { from: instances[i].name, seq } }),
        );
      }
      for (const client of subscribers) {
        expectPerPublisherOrder(dataOf(await exactly(client, 60, 10_000, 100)), { A: 20, B: 20, C: 20 });
      }
    });

    it('the standalone emitter reaches every instance with the library’s frame; the channel method is not run', async () => {
      const subscribers = await Promise.all([a, b, c].map((i) => subscriber(i)));
      subscribers.forEach(cleanup.track);
      await redisSubscribers(admin, prefix, 'feed', 3);
      const runsBefore = [a, b, c].map((i) => i.service.runs.feed);

      const emitter = cleanup.track(new SocketApiEmitter({ connection: redis.url, prefix }));
      for (let seq = 0; seq < 10; seq++) await emitter.publish('feed', { from: 'emitter', seq });
      // Without awaiting each: still in order.
      await Promise.all(
        Array.from({ length: 10 }, (_, i) => emitter.publish('feed', { from: 'emitter', seq: 10 + i })),
      );
      for (const client of subscribers) {
        const frames = await exactly(client, 20);
        expect(frames[0]).toEqual({ type: 'data', channel: 'feed', data: { from: 'emitter', seq: 0 } });
        expectPerPublisherOrder(dataOf(frames), { emitter: 20 });
      }
      expect([a, b, c].map((i) => i.service.runs.feed)).toEqual(runsBefore);
    });

    it('another prefix is another app: its instances hear nothing of these', async () => {
      const other = cleanup.track(await startInstance('D', redisModule(redis.url, 'elsewhere')));
      const onD = cleanup.track(await subscriber(other));
      const onA = cleanup.track(await subscriber(a));
      await redisSubscribers(admin, 'elsewhere', 'feed', 1);
      await redisSubscribers(admin, prefix, 'feed', 1);
      const publisher = cleanup.track(await TestClient.open(b.url));
      await act(publisher, 'emit', { from: 'B', seq: 0 });
      expect(await exactly(onA, 1)).toHaveLength(1);
      expect(onD.frames).toEqual([]);
    });
  });

  describe('an ioredis client passed in', () => {
    it('publishes through it, subscribes on a duplicate, and leaves it open on close', async () => {
      const client = new Redis(redis.url);
      cleanup.add(() => client.disconnect());
      const prefix = 'own-client';
      const a = cleanup.track(await startInstance('A', redisModule(client, prefix)));
      const b = cleanup.track(await startInstance('B', redisModule(redis.url, prefix)));
      const onB = cleanup.track(await subscriber(b));
      const onA = cleanup.track(await subscriber(a));
      await redisSubscribers(admin, prefix, 'feed', 2);
      const publisher = cleanup.track(await TestClient.open(a.url));
      await act(publisher, 'emit', { from: 'A', seq: 0 });
      expect(await exactly(onB, 1)).toEqual([{ type: 'data', channel: 'feed', data: { from: 'A', seq: 0 } }]);
      expect(await exactly(onA, 1)).toHaveLength(1);
      // Closing the apps is what this test is about: the client passed in stays open.
      await a.close();
      await b.close();
      expect(client.status).toBe('ready');
      expect(await client.ping()).toBe('PONG');
      // The duplicate (A's subscriber) is closed with the app.
      await eventually(
        () => numsub(admin, `${prefix}:feed`),
        (n) => n === 0,
        { timeoutMs: 5000, what: 'no subscriber left' },
      );
    });
  });
});
