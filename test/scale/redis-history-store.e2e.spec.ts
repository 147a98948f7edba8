import { createHmac } from 'node:crypto';
import { Redis } from 'ioredis';
import {
  HistoryUnavailableError,
  RedisBroker,
  type HistoryLimits,
  type StreamPosition,
  type StreamSink,
} from '../../lib/index.js';
import { useCleanup } from '../support/cleanup.js';
import { describeWithRedis, RedisServer } from '../support/redis-server.js';
import { eventually, sleep, waitFor } from '../support/wait.js';
import { recordingLogger } from '../support/recording-logger.js';
import type { RedisHistoryStore } from '../../lib/broker/redis-history-store.js';

/** The broker's store as the class it is (the broker types it by its interface, which has no keys). */
const historyOf = (broker: RedisBroker) => broker.history as RedisHistoryStore;

interface Stored {
  readonly channel: string;
  readonly offset: number;
  readonly epoch: string;
  readonly data: string;
}

/** A sink that keeps what a broker hands it, in order. */
class RecordingSink implements StreamSink {
  readonly publications: Stored[] = [];
  readonly resumedChannels: string[] = [];

  stored(channel: string, data: string, position: StreamPosition): void {
    this.publications.push({ channel, data, ...position });
  }

  presence(): void {
    // Presence events (p1) are another part's: not sent by the history store.
  }

  resumed(channel: string): void {
    this.resumedChannels.push(channel);
  }

  offsets(channel: string): number[] {
    return this.publications.filter((p) => p.channel === channel).map((p) => p.offset);
  }
}

const limits = (size: number, ttlMs = 60_000, metaTtlMs = 3_600_000): HistoryLimits => ({ size, ttlMs, metaTtlMs });
const range = (from: number, to: number) => Array.from({ length: to - from + 1 }, (_, i) => from + i);
/** The `{…}` hash tag of a key: what Redis (Cluster) hashes to choose its slot. */
const hashTag = (key: string) => /\{([^}]*)\}/.exec(key)?.[1];

describeWithRedis('Redis history store (one Lua script: offset, entry, expiry, publication)', () => {
  const cleanup = useCleanup();
  let redis: RedisServer;
  /** A plain client to look at (and tamper with) what the store keeps. */
  let inspector: Redis;

  beforeAll(async () => {
    redis = await RedisServer.start();
  });

  afterAll(async () => {
    await redis.stop();
  });

  beforeEach(async () => {
    await redis.start(); // a test may have killed it
    inspector = new Redis(redis.url, { maxRetriesPerRequest: 0, retryStrategy: () => 100 });
    cleanup.add(() => inspector.disconnect());
    await inspector.flushall();
  });

  /** A connected broker with a recording sink and logger. */
  async function broker(options: { secret?: string; prefix?: string } = {}) {
    const sink = new RecordingSink();
    const logger = recordingLogger();
    const delivered: Array<{ channel: string; frame: string }> = [];
    const instance = new RedisBroker({ connection: redis.url, logger, ...options });
    cleanup.add(() => instance.close());
    await instance.connect((channel, frame) => {
      delivered.push({ channel, frame: frame.toString() });
      return true;
    }, sink);
    await waitFor(() => historyOf(instance).available, { what: 'the store to know Redis incarnation' });
    return { broker: instance, store: historyOf(instance), sink, logger, delivered };
  }

  /** Watches `channel` and waits until Redis acknowledged the subscription. */
  async function listen(instance: RedisBroker, channel: string): Promise<void> {
    instance.watch(channel);
    await instance.listening(channel);
  }

  it('gives offsets 1…N exactly once to appends racing from two instances, and every instance gets them in order', async () => {
    const a = await broker();
    const b = await broker();
    const channel = 'rooms/1';
    await listen(a.broker, channel);
    await listen(b.broker, channel);
    const perInstance = 1000;
    const appends = [a, b].flatMap((instance, i) =>
      range(1, perInstance).map((n) => instance.store.append(channel, JSON.stringify({ i, n }), limits(5000))),
    );
    const positions = await Promise.all(appends);
    const offsets = positions.map((position) => position.offset).sort((x, y) => x - y);
    expect(offsets).toEqual(range(1, 2 * perInstance));
    expect(new Set(positions.map((position) => position.epoch)).size).toBe(1);
    // The script's PUBLISH runs in the script's order: both instances see 1…2000, no gap, no duplicate.
    for (const instance of [a, b]) {
      await waitFor(() => instance.sink.offsets(channel).length === 2 * perInstance, {
        what: 'every stored publication from Redis',
        detail: () => String(instance.sink.offsets(channel).length),
      });
      expect(instance.sink.offsets(channel)).toEqual(range(1, 2 * perInstance));
      expect(instance.delivered).toEqual([]); // nothing went the plain way
    }
    // Each publication's position as its appender got it matches what the subscribers got with that data.
    const byOffset = new Map(a.sink.publications.map((p) => [p.offset, p.data]));
    const [first] = await Promise.all([appends[0]]);
    expect(byOffset.get(first.offset)).toBe(JSON.stringify({ i: 0, n: 1 }));
    // The stream holds the same entries.
    const entries = await inspector.xrange(a.store.streamKey(channel), '-', '+');
    expect(entries.map(([id]) => id)).toEqual(range(1, 2 * perInstance).map((n) => `${n}-0`));
    expect(entries.map(([id, fields]) => [parseInt(id, 10), fields[1]])).toEqual(
      [...byOffset.entries()].sort(([x], [y]) => x - y),
    );
    // Own publications are not counted as received from other instances.
    expect(a.broker.stats.received).toBe(perInstance);
    expect(b.broker.stats.received).toBe(perInstance);
  });

  it('keeps the keys of a channel in one hash slot, bounded (XLEN ≤ size) and expiring (PTTL > 0)', async () => {
    const { store } = await broker({ prefix: 'app' });
    const channel = 'rooms/{odd}}name';
    for (let i = 0; i < 25; i++) await store.append(channel, String(i), limits(10, 30_000, 120_000));
    const keys = (await inspector.keys('*')).sort();
    expect(keys).toEqual([store.streamKey(channel), store.metaKey(channel)].sort());
    expect(new Set(keys.map(hashTag)).size).toBe(1);
    expect(hashTag(store.streamKey('rooms/42'))).toBe('rooms/42');
    expect(await inspector.xlen(store.streamKey(channel))).toBe(10);
    const streamTtl = await inspector.pttl(store.streamKey(channel));
    const metaTtl = await inspector.pttl(store.metaKey(channel));
    expect(streamTtl).toBeGreaterThan(0);
    expect(streamTtl).toBeLessThanOrEqual(30_000);
    expect(metaTtl).toBeGreaterThan(30_000);
    expect(metaTtl).toBeLessThanOrEqual(120_000);
    expect(await inspector.hget(store.metaKey(channel), 's')).toBe('25');
  });

  it('reads the top, and the publications after a position only when all of them are retained', async () => {
    const { store } = await broker();
    const channel = 'doc/7';
    const size = limits(5);
    let last: StreamPosition = { offset: 0, epoch: '' };
    for (let i = 1; i <= 8; i++) last = await store.append(channel, JSON.stringify({ i }), size);
    const { epoch } = last;
    expect(last.offset).toBe(8);

    const top = await store.read(channel, undefined, size);
    expect(top).toEqual({ top: { offset: 8, epoch }, recovered: false, publications: [] });

    // Entries 4…8 are kept (size 5): recoverable from offset 3 on.
    const fromThree = await store.read(channel, { offset: 3, epoch }, size);
    expect(fromThree.recovered).toBe(true);
    expect(fromThree.publications).toEqual(range(4, 8).map((i) => ({ offset: i, data: JSON.stringify({ i }) })));
    expect((await store.read(channel, { offset: 6, epoch }, size)).publications.map((p) => p.offset)).toEqual([7, 8]);
    expect(await store.read(channel, { offset: 8, epoch }, size)).toEqual({
      top: { offset: 8, epoch },
      recovered: true,
      publications: [],
    });
    // Older than the history, above its top, another epoch: not recoverable, nothing given.
    for (const since of [
      { offset: 2, epoch },
      { offset: 0, epoch },
      { offset: 9, epoch },
      { offset: 5, epoch: 'someone-else.123' },
    ]) {
      expect(await store.read(channel, since, size)).toEqual({
        top: { offset: 8, epoch },
        recovered: false,
        publications: [],
      });
    }
  });

  it('answers a channel never published to with offset 0 and an empty-stream token, creating no key', async () => {
    const { store } = await broker();
    const channel = 'rooms/empty';
    const empty = await store.read(channel, undefined, limits(10));
    expect(empty.top.offset).toBe(0);
    expect(empty.top.epoch).toMatch(/^~[0-9a-f]{12}~[0-9a-z]+$/);
    expect(await inspector.dbsize()).toBe(0);
    // Recovering from the token before anything was published: nothing missed.
    expect(await store.read(channel, empty.top, limits(10))).toMatchObject({ recovered: true, publications: [] });
    // After the first publications, the token recovers them all.
    await store.append(channel, '"a"', limits(10));
    const second = await store.append(channel, '"b"', limits(10));
    const recovered = await store.read(channel, empty.top, limits(10));
    expect(recovered).toEqual({
      top: second,
      recovered: true,
      publications: [
        { offset: 1, data: '"a"' },
        { offset: 2, data: '"b"' },
      ],
    });
    // A token from another Redis (incarnation) recovers nothing.
    const foreign = { offset: 0, epoch: `~000000000000~${Date.now().toString(36)}` };
    expect((await store.read(channel, foreign, limits(10))).recovered).toBe(false);
  });

  it('forgets the entries ttl after the last publication, and starts a new epoch once the meta is gone', async () => {
    const { store } = await broker();
    const channel = 'ticker/x';
    const short = limits(100, 1000, 2000);
    await store.append(channel, '1', short);
    const two = await store.append(channel, '2', short);
    await eventually(
      () => inspector.exists(store.streamKey(channel)),
      (exists) => exists === 0,
      { timeoutMs: 3000 },
    );
    // Entries gone, position known: from the top nothing is missed; from below it, not recoverable.
    expect(await store.read(channel, two, short)).toMatchObject({ recovered: true, publications: [] });
    expect(await store.read(channel, { offset: 1, epoch: two.epoch }, short)).toMatchObject({ recovered: false });
    await eventually(
      () => inspector.exists(store.metaKey(channel)),
      (exists) => exists === 0,
      { timeoutMs: 3000 },
    );
    const again = await store.append(channel, '3', short);
    expect(again.offset).toBe(1);
    expect(again.epoch).not.toBe(two.epoch);
    expect((await store.read(channel, two, short)).recovered).toBe(false);
  });

  it('keeps a quiet channel’s meta alive with touch, and never creates one', async () => {
    const { store } = await broker();
    const short = limits(10, 1000, 1500);
    const position = await store.append('quiet', '1', short);
    await store.touch('never-published', short);
    for (let i = 0; i < 4; i++) {
      await sleep(500);
      await store.touch('quiet', short);
    }
    expect(await inspector.exists(store.metaKey('quiet'))).toBe(1);
    expect(await inspector.exists(store.metaKey('never-published'))).toBe(0);
    expect((await store.read('quiet', position, short)).top).toEqual(position);
  });

  it('changes the epoch when Redis restarts without persistence, and tells the sink which channels resumed', async () => {
    const { broker: instance, store, sink, logger } = await broker();
    const channel = 'rooms/restart';
    await listen(instance, channel);
    const before = await store.append(channel, '"before"', limits(10));
    const token = (await store.read('rooms/untouched', undefined, limits(10))).top;
    await waitFor(() => sink.offsets(channel).length === 1);

    await redis.restart(); // --save '' --appendonly no: everything is lost
    await waitFor(() => instance.connected && store.available, { timeoutMs: 10_000, what: 'reconnection' });
    await waitFor(() => sink.resumedChannels.includes(channel), { what: 'resumed(channel)' });
    expect(sink.resumedChannels).toEqual([channel]);

    const lost = await store.read(channel, before, limits(10));
    expect(lost.recovered).toBe(false);
    expect(lost.top.offset).toBe(0);
    expect(lost.top.epoch).not.toBe(before.epoch);
    // The token of an empty channel from before the restart is not recoverable either (another incarnation).
    expect((await store.read('rooms/untouched', token, limits(10))).recovered).toBe(false);

    const after = await store.append(channel, '"after"', limits(10));
    expect(after.offset).toBe(1);
    expect(after.epoch).not.toBe(before.epoch);
    expect(after.epoch.split('.')[0]).not.toBe(before.epoch.split('.')[0]); // the incarnation part
    await waitFor(() => sink.offsets(channel).length === 2, { what: 'the publication after the restart' });
    expect(sink.publications.map((p) => [p.offset, p.epoch])).toEqual([
      [1, before.epoch],
      [1, after.epoch],
    ]);
    expect(logger.errors).toEqual([]);
  });

  it('rejects publications while Redis is down (counted, one warning for the outage), and stores again after', async () => {
    const { broker: instance, store, logger } = await broker();
    const channel = 'rooms/outage';
    await listen(instance, channel);
    await store.append(channel, '1', limits(10));

    await redis.kill();
    await waitFor(() => !instance.connected, { what: 'the broker to see the outage' });
    for (let i = 0; i < 5; i++) {
      const started = Date.now();
      await expect(store.append(channel, String(i), limits(10))).rejects.toBeInstanceOf(HistoryUnavailableError);
      expect(Date.now() - started).toBeLessThan(100); // at once: nothing is queued
    }
    await expect(store.read(channel, undefined, limits(10))).rejects.toBeInstanceOf(HistoryUnavailableError);
    await expect(instance.listening(channel)).rejects.toBeInstanceOf(HistoryUnavailableError);
    expect(instance.stats.historyFailed).toBe(5);
    expect(logger.warns).toHaveLength(1);
    expect(logger.warns[0]).toMatch(/^Lost the connection to Redis/);

    await redis.start();
    await waitFor(() => instance.connected && store.available, { timeoutMs: 10_000, what: 'reconnection' });
    expect(logger.warns).toHaveLength(1);
    expect(logger.logs.at(-1)).toMatch(
      /5 publication\(s\) to channels with history failed \(rejected\) during the outage/,
    );
    expect(await store.append(channel, '"back"', limits(10))).toMatchObject({ offset: 1 });
    await expect(instance.listening(channel)).resolves.toBeUndefined();
  });

  it('rejects appends past maxPendingBytes while Redis does not answer, and logs the episode once', async () => {
    const logger = recordingLogger();
    // Three appends of ~2.1 KB (with the 512 bytes counted per command) fit in 8 KiB; nothing more does.
    const instance = new RedisBroker({ connection: redis.url, logger, maxPendingBytes: 8192 });
    cleanup.add(() => instance.close());
    await instance.connect(() => true, new RecordingSink());
    await waitFor(() => historyOf(instance).available);
    redis.pause();
    cleanup.add(() => redis.resume());
    const waiting = range(1, 3).map(() =>
      instance.history.append('hung', JSON.stringify('x'.repeat(2000)), limits(10)),
    );
    const refused = range(1, 5).map(() => instance.history.append('hung', '"y"', limits(10)));
    for (const append of refused) await expect(append).rejects.toBeInstanceOf(HistoryUnavailableError);
    expect(instance.stats.historyFailed).toBe(5);
    expect(logger.warns.filter((line) => /is not answering/.test(line))).toHaveLength(1);
    redis.resume();
    expect((await Promise.all(waiting)).map((p) => p.offset)).toEqual([1, 2, 3]);
    await waitFor(() => logger.logs.some((line) => /answers again/.test(line)));
    expect(logger.logs.find((line) => /answers again/.test(line))).toMatch(
      /5 publication\(s\) to channels with history failed/,
    );
  });

  it('refuses a plain (v1) publication on a channel with history, and forged or unsigned stream messages', async () => {
    const secret = 's3cret';
    const { broker: instance, store, sink, delivered } = await broker({ secret });
    const channel = 'rooms/guarded';
    await listen(instance, channel);
    await store.append(channel, '{"ok":true}', limits(10));
    await waitFor(() => sink.publications.length === 1);
    const redisChannel = instance.redisChannel(channel);
    const sender = '0123456789abcdef';
    const frame = JSON.stringify({ type: 'data', channel, data: 'no offset' });
    const v1Mac = createHmac('sha256', secret).update(`v1 ${sender}\n${redisChannel}\n${frame}`).digest('hex');
    const h1Mac = (data: string) =>
      createHmac('sha256', secret).update(`h1 ${sender}\n${redisChannel}\n${data}`).digest('hex');
    const messages = [
      `v1 ${sender} ${v1Mac}\n${frame}`, // well signed, but without an offset
      `h1 ${sender}\n2 e.1\n"unsigned"`,
      `h1 ${sender} ${'0'.repeat(64)}\n2 e.1\n"bad mac"`,
      `h1 ${sender} ${h1Mac('"x"')}\nnot-a-number e.1\n"x"`,
      `h1 ${sender} ${h1Mac('"x"')}\n2 bad epoch\n"x"`,
    ];
    for (const message of messages) await inspector.publish(redisChannel, message);
    // A well signed one is accepted (and proves the ones before were processed).
    await inspector.publish(redisChannel, `h1 ${sender} ${h1Mac('"fine"')}\n2 e.1\n"fine"`);
    await waitFor(() => sink.publications.length === 2);
    expect(sink.publications[1]).toEqual({ channel, offset: 2, epoch: 'e.1', data: '"fine"' });
    expect(instance.stats.rejected).toBe(messages.length);
    expect(delivered).toEqual([]);
  });

  it('without a secret, accepts stored publications whose data is JSON only', async () => {
    const { broker: instance, sink } = await broker();
    const channel = 'rooms/open';
    await listen(instance, channel);
    const redisChannel = instance.redisChannel(channel);
    const sender = '0123456789abcdef';
    await inspector.publish(redisChannel, `h1 ${sender}\n1 e.1\n{"broken":`);
    await inspector.publish(redisChannel, `h1 ${sender}\n2 e.1\n${'['.repeat(2000)}${']'.repeat(2000)}`);
    await inspector.publish(redisChannel, `h1 ${sender}\n3 e.1\n`);
    await inspector.publish(redisChannel, `h1 ${sender}\n4 e.1\n{"ok":1}`);
    await waitFor(() => sink.offsets(channel).includes(4));
    expect(sink.publications.map((p) => [p.offset, p.data])).toEqual([
      [3, ''],
      [4, '{"ok":1}'],
    ]);
    expect(instance.stats.rejected).toBe(2);
  });

  it('refuses an append larger than maxMessageBytes before storing anything', async () => {
    const logger = recordingLogger();
    const instance = new RedisBroker({ connection: redis.url, logger, maxMessageBytes: 1024 });
    cleanup.add(() => instance.close());
    await instance.connect(() => true, new RecordingSink());
    await waitFor(() => historyOf(instance).available);
    await expect(instance.history.append('big', JSON.stringify('x'.repeat(2000)), limits(10))).rejects.toThrow(
      /larger than maxMessageBytes/,
    );
    expect(await inspector.dbsize()).toBe(0);
    expect(instance.stats.historyFailed).toBe(1);
    expect(logger.warns).toHaveLength(1);
  });
});
