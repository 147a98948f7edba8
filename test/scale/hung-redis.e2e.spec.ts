import 'reflect-metadata';
import { Redis } from 'ioredis';
import { RedisBroker, SocketApiEmitter } from '../../lib/index.js';
import { useCleanup } from '../support/cleanup.js';
import { forceGc } from '../support/force-gc.js';
import { describeWithRedis, RedisServer } from '../support/redis-server.js';
import { eventually, sleep } from '../support/wait.js';
import { numsub } from './scale-app.js';
import { recordingLogger } from '../support/recording-logger.js';

const MiB = 1024 * 1024;
const gc = forceGc();

/** Bytes held by Buffers (ioredis's queued commands, the socket's write buffer) and the RSS. */
function memory(): { buffers: number; rss: number } {
  gc();
  const { arrayBuffers, rss } = process.memoryUsage();
  return { buffers: arrayBuffers, rss };
}

/** A `data` frame of about 64 KiB on `feed`, numbered. */
function bigFrame(seq: number): Buffer {
  return Buffer.from(JSON.stringify({ type: 'data', channel: 'feed', data: { seq, pad: 'x'.repeat(64 * 1024) } }));
}

/**
 * A Redis that accepts TCP and never answers (SIGSTOP): what waits for it is bounded
 * (`maxPendingBytes`, default 4 MiB), the rest is dropped and counted, and delivery resumes when it
 * answers again. Before the bound, every publication stayed in ioredis's command queue and the
 * socket's write buffer (125 MiB published grew the process by ~265 MiB) and was delivered late.
 */
describeWithRedis('scale-out through Redis: a hung Redis', () => {
  const cleanup = useCleanup();
  const prefix = 'hung';
  let redis: RedisServer;
  let publisher: RedisBroker;
  let receiver: RedisBroker;
  let emitter: SocketApiEmitter | undefined;
  const logger = recordingLogger();
  const received: number[] = [];

  beforeAll(async () => {
    redis = await RedisServer.start();
    publisher = new RedisBroker({ connection: redis.url, prefix, logger });
    receiver = new RedisBroker({ connection: redis.url, prefix, logger: recordingLogger() });
    await publisher.connect(() => true);
    await receiver.connect((_channel, frame) => {
      received.push((JSON.parse(frame.toString()) as { data: { seq: number } }).data.seq);
      return true;
    });
    receiver.watch('feed');
  });

  afterAll(async () => {
    redis?.resume();
    await emitter?.close();
    await publisher?.close();
    await receiver?.close();
    await redis?.stop();
  });

  it('holds at most maxPendingBytes for it, drops and counts the rest, and delivers again once it answers', async () => {
    // Up and answering: delivered.
    publisher.publish('feed', bigFrame(-1));
    await eventually(
      () => received.length,
      (n) => n === 1,
      { timeoutMs: 5000, what: 'a publication before the stall' },
    );

    redis.pause();
    const before = memory();
    const count = 800; // 50 MiB
    for (let seq = 0; seq < count; seq++) {
      publisher.publish('feed', bigFrame(seq));
      if (seq % 50 === 0) await sleep(1); // let the socket write what the kernel takes
    }
    await sleep(200);
    const after = memory();
    const grownMiB = { buffers: (after.buffers - before.buffers) / MiB, rss: (after.rss - before.rss) / MiB };
    console.log(
      `50 MiB published to a stopped Redis: Buffers +${grownMiB.buffers.toFixed(1)} MiB, RSS +${grownMiB.rss.toFixed(1)} MiB; ` +
        `stats ${JSON.stringify(publisher.stats)}`,
    );
    // 4 MiB may wait (plus what the kernel took); without the bound both grew by more than 50 MiB.
    expect(grownMiB.buffers).toBeLessThan(16);
    expect(grownMiB.rss).toBeLessThan(40);
    expect(publisher.stats.dropped).toBeGreaterThan(count - 100);
    expect(publisher.connected).toBe(true); // hung, not down: no outage
    expect(logger.warns).toHaveLength(1);
    expect(logger.warns[0]).toMatch(
      /^Redis at 127\.0\.0\.1:\d+ is not answering: \d+ publication\(s\) \(\d+ bytes, the maxPendingBytes bound\)/,
    );

    // The emitter holds no more than its own bound either: the rest is refused at once.
    emitter = new SocketApiEmitter({ connection: redis.url, prefix, connectTimeoutMs: 60_000 });
    const outcomes: Array<Promise<unknown>> = [];
    let refused = 0;
    for (let seq = 0; seq < 400; seq++) {
      outcomes.push(
        emitter.publish('feed', { seq: 10_000 + seq, pad: 'y'.repeat(64 * 1024) }).catch(() => void refused++),
      );
    }
    await sleep(100);
    expect(refused).toBeGreaterThan(300);
    const withEmitter = memory();
    expect((withEmitter.buffers - before.buffers) / MiB).toBeLessThan(24);

    // Answering again: what waited (bounded) goes out, then new publications are delivered.
    redis.resume();
    await Promise.all(outcomes);
    await eventually(() => logger.logs.some((line) => /answers again after/.test(line)), Boolean, {
      timeoutMs: 10_000,
      what: 'the end of the stall',
    });
    publisher.publish('feed', bigFrame(99_999));
    await eventually(() => received.includes(99_999), Boolean, {
      timeoutMs: 10_000,
      what: 'a publication after the stall',
    });
    const late = {
      broker: received.filter((seq) => seq >= 0 && seq < 10_000).length,
      emitter: received.filter((seq) => seq >= 10_000 && seq < 99_999).length,
    };
    // What was held for the stopped Redis was bounded too: at most the window, not the 50 MiB.
    expect(late.broker).toBeGreaterThan(0);
    expect(late.broker).toBeLessThan(100);
    expect(late.emitter).toBe(400 - refused);
    expect(late.emitter).toBeLessThan(100);
    expect(logger.logs.at(-1)).toMatch(
      /\d+ publication\(s\) made here meanwhile reached this instance's subscribers only/,
    );
  }, 60_000);

  it('sends a bounded number of SUBSCRIBE/UNSUBSCRIBE to it, and subscribes to what is watched once it answers', async () => {
    const admin = new Redis(redis.url);
    cleanup.add(() => admin.disconnect());
    await admin.config('RESETSTAT');
    redis.pause();
    // A channel's only subscriber here joining and leaving, over and over.
    for (let i = 0; i < 5000; i++) {
      receiver.watch('churn');
      receiver.unwatch('churn');
    }
    receiver.watch('churn');
    await sleep(100);
    redis.resume();
    await eventually(
      () => numsub(admin, `${prefix}:churn`),
      (n) => n === 1,
      { timeoutMs: 10_000, what: 'the subscription to churn' },
    );
    const stats = await admin.info('commandstats');
    const calls = (command: string) => Number(new RegExp(`cmdstat_${command}:calls=(\\d+)`).exec(stats)?.[1] ?? 0);
    // Without the bound, Redis ran all 10,001 once it answered again.
    expect(calls('subscribe') + calls('unsubscribe')).toBeLessThan(200);
    // And the state is right: publications on `churn` arrive, `feed` still does.
    const frame = (channel: string, seq: number) =>
      Buffer.from(JSON.stringify({ type: 'data', channel, data: { seq } }));
    publisher.publish('churn', frame('churn', 123_456));
    publisher.publish('feed', frame('feed', 123_457));
    await eventually(() => received.includes(123_456) && received.includes(123_457), Boolean, {
      timeoutMs: 5000,
      what: 'both publications',
    });
  }, 30_000);
});
