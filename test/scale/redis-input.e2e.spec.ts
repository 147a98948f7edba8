import 'reflect-metadata';
import { createHmac } from 'node:crypto';
import { Redis } from 'ioredis';
import { RedisBroker, SocketApiEmitter, SocketApiModule, type Channel } from '../../lib/index.js';
import { ChannelHub } from '../../lib/channels/channel-hub.js';
import { useCleanup } from '../support/cleanup.js';
import { describeWithRedis, RedisServer } from '../support/redis-server.js';
import { eventually, sleep } from '../support/wait.js';
import { TestClient } from '../support/ws-client.js';
import { act, redisSubscribers, startInstance, subscriber, takeData, type Instance } from './scale-app.js';
import { recordingLogger } from '../support/recording-logger.js';

const SENDER = '0123456789abcdef';
const frame = (data: unknown, channel = 'feed') => JSON.stringify({ type: 'data', channel, data });
const v1 = (body: string | Buffer, sender = SENDER) =>
  Buffer.concat([Buffer.from(`v1 ${sender}\n`), Buffer.from(body)]);
const v0 = (body: string, sender = SENDER) => `${sender}\n${body}`;
function signed(secret: string, redisChannel: string, body: string, sender = SENDER): string {
  const mac = createHmac('sha256', secret).update(`v1 ${sender}\n${redisChannel}\n${body}`).digest('hex');
  return `v1 ${sender} ${mac}\n${body}`;
}

/** Messages on `socketapi:feed` that are not publications of the app: none may reach a client. */
function forgeries(): Array<string | Buffer> {
  return [
    'not json at all',
    Buffer.from([0xff, 0xfe, 0x00, 0x0a, 0x80, 0x81]),
    frame({ x: 'no header' }),
    v1('not json'),
    v1(Buffer.from([0xc3, 0x28, 0xa0, 0xa1])),
    v1('null'),
    v1('[1,2,3]'),
    v1('"a string"'),
    v1(JSON.stringify({ type: 'action', channel: 'feed', status: 'completed', data: { forged: 'reply' }, id: 'sub' })),
    v1(JSON.stringify({ type: 'error', error: { code: 'FORGED', message: 'forged error' } })),
    v1(JSON.stringify({ type: 'subscribed', channel: 'feed', id: 'x' })),
    v1(frame({ forged: 'other channel' }, 'news')),
    v1(JSON.stringify({ type: 'data', channel: 'feed', data: { extra: 'key' }, id: 'sub' })),
    v1('{"type":"data","channel":"feed","data":1,"__proto__":{"polluted":true}}'),
    // Parses, but is nested too deep to be serialized again.
    v1('{"type":"data","channel":"feed","data":' + '['.repeat(20_000) + ']'.repeat(20_000) + '}'),
    `v2 ${SENDER}\n${frame({ future: 'version' })}`,
    `v1 NOT-HEX-SENDER\n${frame({ bad: 'sender' })}`,
    `v1 ${SENDER} extra fields here\n${frame({ bad: 'header' })}`,
    `${'x'.repeat(200)}\n${frame({ long: 'header' })}`,
    v1(frame({ huge: 'x'.repeat(70 * 1024) })),
    `\n${frame({ empty: 'sender' })}`,
    v1(''),
    '',
  ];
}

describeWithRedis('scale-out through Redis: what comes from Redis is untrusted', () => {
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

  async function instance(prefix: string, options: { secret?: string; maxMessageBytes?: number } = {}) {
    const logger = recordingLogger();
    const broker = new RedisBroker({ connection: redis.url, prefix, logger, ...options });
    const started = await startInstance(prefix, SocketApiModule.forRoot({ broker, heartbeat: false }));
    cleanup.track(started);
    return { instance: started, broker, logger };
  }

  async function feedSubscriber(target: Instance): Promise<TestClient> {
    const client = await subscriber(target, 'feed');
    cleanup.track(client);
    return client;
  }

  it('ignores and counts anything that is not a data frame of the channel; forwards only valid publications, once checked', async () => {
    const prefix = 'untrusted';
    const { instance: a, broker, logger } = await instance(prefix, { maxMessageBytes: 64 * 1024 });
    const client = await feedSubscriber(a);
    // A server-side observer of the channel: reading a remote payload used to parse it (and crash on garbage).
    const observed: unknown[] = [];
    const feed: Channel = a.app.get(ChannelHub).get('feed');
    const observation = feed.asObservable().subscribe((payload) => observed.push(payload));
    await redisSubscribers(admin, prefix, 'feed', 1);
    const redisChannel = `${prefix}:feed`;
    try {
      const bad = forgeries();
      for (const message of bad) await admin.publish(redisChannel, message);
      // Valid: today's format (v1), the format before it (v0, from an instance not upgraded yet), and
      // a valid frame with a stray signature this instance cannot check (no secret here).
      await admin.publish(redisChannel, v1(frame({ ok: 'v1' })));
      await admin.publish(redisChannel, v0(frame({ ok: 'v0' })));
      await admin.publish(redisChannel, v1(frame(undefined)));
      await admin.publish(redisChannel, signed('whatever', redisChannel, frame({ ok: 'signed' })));

      await eventually(
        () => broker.stats.received,
        (n) => n === 4,
        { timeoutMs: 5000, what: 'the valid publications' },
      );
      await sleep(200);
      expect(takeData(client)).toEqual([{ ok: 'v1' }, { ok: 'v0' }, undefined, { ok: 'signed' }]);
      expect(client.frames).toEqual([]);
      expect(observed).toEqual([{ ok: 'v1' }, { ok: 'v0' }, undefined, { ok: 'signed' }]);
      expect(broker.stats.rejected).toBe(bad.length);
      // One line for the flood, not one per message.
      expect(logger.warns).toHaveLength(1);
      expect(logger.warns[0]).toMatch(/^Ignored 1 message\(s\) on Redis that are not publications of this app/);
      expect(logger.errors).toEqual([]);
      // The app still works.
      expect(await act(client, 'emit', { from: 'me', seq: 1 })).toMatchObject({ status: 'completed', data: 1 });
    } finally {
      observation.unsubscribe();
    }
  });

  it('with a secret: accepts signed publications of instances and emitters with that secret, refuses the rest', async () => {
    const prefix = 'signed';
    const secret = 'a shared secret';
    const { instance: a, broker: brokerA } = await instance(prefix, { secret });
    const { instance: b } = await instance(prefix, { secret });
    const client = await feedSubscriber(a);
    await redisSubscribers(admin, prefix, 'feed', 1);
    const redisChannel = `${prefix}:feed`;

    // Another instance and an emitter with the secret: delivered.
    const publisherOnB = await openClient(b);
    expect(await act(publisherOnB, 'emit', { from: 'B', seq: 1 })).toMatchObject({ status: 'completed' });
    const emitter = new SocketApiEmitter({ connection: redis.url, prefix, secret });
    const unsigned = new SocketApiEmitter({ connection: redis.url, prefix });
    const wrong = new SocketApiEmitter({ connection: redis.url, prefix, secret: 'another secret' });
    try {
      await emitter.publish('feed', { from: 'emitter' });
      await unsigned.publish('feed', { from: 'unsigned emitter' });
      await wrong.publish('feed', { from: 'wrong secret' });
    } finally {
      await Promise.all([emitter.close(), unsigned.close(), wrong.close()]);
    }
    const forged = [
      v0(frame({ from: 'v0 cannot be signed' })),
      v1(frame({ from: 'unsigned v1' })),
      signed(secret, `${prefix}:news`, frame({ from: 'signed for another channel' })),
      signed(secret, 'other:feed', frame({ from: 'signed for another prefix' })),
      signed(secret, redisChannel, frame({ from: 'tampered' })).replace('tampered', 'tampereD'),
      `v1 ${SENDER} ${'0'.repeat(64)}\n${frame({ from: 'zero mac' })}`,
      `v1 ${SENDER} zz\n${frame({ from: 'malformed mac' })}`,
    ];
    for (const message of forged) await admin.publish(redisChannel, message);
    await admin.publish(redisChannel, signed(secret, redisChannel, frame({ from: 'signed by hand' })));

    await eventually(
      () => brokerA.stats.received,
      (n) => n === 3,
      { timeoutMs: 5000, what: 'the signed publications' },
    );
    await sleep(200);
    expect(takeData(client)).toEqual([{ from: 'B', seq: 1 }, { from: 'emitter' }, { from: 'signed by hand' }]);
    expect(brokerA.stats.rejected).toBe(2 + forged.length);
  });

  it('refuses an empty secret, and byte limits that would turn the bounds off', () => {
    expect(() => new RedisBroker({ connection: redis.url, secret: '' })).toThrow('`secret` must not be empty');
    expect(() => new SocketApiEmitter({ connection: redis.url, secret: '' })).toThrow('`secret` must not be empty');
    for (const bad of [NaN, -1, 0, 1.5, Infinity]) {
      expect(() => new RedisBroker({ connection: redis.url, maxPendingBytes: bad })).toThrow(
        `RedisBroker: maxPendingBytes (redis.maxPendingBytes) must be a positive whole number of bytes, got ${bad}.`,
      );
      expect(() => new RedisBroker({ connection: redis.url, maxMessageBytes: bad })).toThrow(
        'maxMessageBytes (redis.maxMessageBytes) must be',
      );
      expect(() => new SocketApiEmitter({ connection: redis.url, maxPendingBytes: bad })).toThrow(
        'SocketApiEmitter: maxPendingBytes must be',
      );
      expect(() => new SocketApiEmitter({ connection: redis.url, maxMessageBytes: bad })).toThrow(
        'SocketApiEmitter: maxMessageBytes must be',
      );
    }
  });

  it('the emitter writes v1 envelopes, and a publication too large for maxMessageBytes is dropped, not sent', async () => {
    const prefix = 'format';
    const { instance: a, broker, logger } = await instance(prefix, { maxMessageBytes: 4096 });
    const client = await feedSubscriber(a);
    const listener = new Redis(redis.url);
    const seen: Buffer[] = [];
    try {
      await listener.subscribe(`${prefix}:feed`);
      listener.on('messageBuffer', (_channel: Buffer, message: Buffer) => void seen.push(message));
      const emitter = new SocketApiEmitter({ connection: redis.url, prefix, maxMessageBytes: 4096 });
      try {
        await emitter.publish('feed', { n: 1 });
        await expect(emitter.publish('feed', { big: 'x'.repeat(5000) })).rejects.toThrow(
          /larger than maxMessageBytes \(4096\)/,
        );
      } finally {
        await emitter.close();
      }
      await eventually(
        () => seen.length,
        (n) => n === 1,
        { timeoutMs: 5000, what: 'the emitter’s message' },
      );
      expect(seen[0].toString()).toMatch(/^v1 [0-9a-f]{16}\n\{"type":"data","channel":"feed","data":\{"n":1\}\}$/);

      // Too large to leave the instance: its own subscribers get it, Redis does not.
      const dropped = broker.stats.dropped;
      const publisher = await openClient(a);
      await act(publisher, 'emit_many', { from: 'x'.repeat(5000), start: 0, count: 1 });
      await sleep(300);
      expect(seen).toHaveLength(1);
      expect(broker.stats.dropped).toBe(dropped + 1);
      expect(logger.warns.some((line) => /too large for Redis/.test(line))).toBe(true);
      expect(takeData(client)).toEqual([{ n: 1 }, { from: 'x'.repeat(5000), seq: 0 }]);
    } finally {
      listener.disconnect();
    }
  });

  async function openClient(target: Instance): Promise<TestClient> {
    const client = await TestClient.open(target.url);
    cleanup.track(client);
    return client;
  }
});
