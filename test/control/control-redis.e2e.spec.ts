import 'reflect-metadata';
import { createHmac } from 'node:crypto';
import { Redis } from 'ioredis';
import { ControlUnavailableError, type RedisBroker, SocketApiConnections } from '../../lib/index.js';
import { SOCKET_API_BROKER } from '../../lib/socket-api.constants.js';
import { useCleanup } from '../support/cleanup.js';
import { describeWithRedis, RedisServer } from '../support/redis-server.js';
import type { TestApp } from '../support/test-app.js';
import { sleep, waitFor } from '../support/wait.js';
import { refusedUpgrade } from '../support/ws-client.js';
import { startControlApp, subscribe, userClient } from './control-app.js';

const PREFIX = 'ctl';
const SECRET = 'control-test-secret';

describeWithRedis('SocketApiConnections across two instances on Redis', () => {
  const cleanup = useCleanup();
  let redis: RedisServer;
  beforeAll(async () => (redis = await RedisServer.start()));
  afterAll(() => redis.stop());
  afterEach(() => redis.start()); // a test that stops it leaves it running for the next

  const start = (options: { maxConnectionsPerUser?: number; controlTimeoutMs?: number; presenceTtlMs?: number } = {}) =>
    startControlApp(cleanup, {
      maxConnectionsPerUser: options.maxConnectionsPerUser,
      controlTimeoutMs: options.controlTimeoutMs,
      redis: {
        connection: redis.url,
        prefix: PREFIX,
        secret: SECRET,
        ...(options.presenceTtlMs
          ? { presenceTtlMs: options.presenceTtlMs, presenceIntervalMs: options.presenceTtlMs / 3 }
          : {}),
      },
    });
  const control = (app: TestApp) => app.app.get(SocketApiConnections);
  const broker = (app: TestApp) => app.app.get<RedisBroker>(SOCKET_API_BROKER);
  const admin = () => {
    const client = new Redis(redis.url, { maxRetriesPerRequest: 0 });
    cleanup.add(() => client.disconnect());
    return client;
  };

  it('closeUser on A closes the user’s sockets on A and B with the code; the others are untouched', async () => {
    const a = await start();
    const b = await start();
    const onA = await userClient(cleanup, a, 'alice');
    const onB = await userClient(cleanup, b, 'alice');
    const otherA = await userClient(cleanup, a, 'bob');
    const otherB = await userClient(cleanup, b, 'bob');
    await expect(control(a).closeUser('alice', 4001, 'Banned')).resolves.toBe(2);
    // Resolved: every instance has acted (the close frames are sent).
    expect(await onA.closed()).toBe(4001);
    expect(await onB.closed()).toBe(4001);
    await sleep(50);
    expect(otherA.closeCode).toBeUndefined();
    expect(otherB.closeCode).toBeUndefined();
    await expect(control(b).closeUser('alice')).resolves.toBe(0);
  });

  it('unsubscribeUser and sendToUser reach the user’s connections on both instances', async () => {
    const a = await start();
    const b = await start();
    const onA = await userClient(cleanup, a, 'carol');
    const onB = await userClient(cleanup, b, 'carol');
    const other = await userClient(cleanup, b, 'dave');
    for (const ws of [onA, onB, other]) {
      await subscribe(ws, 'rooms/7');
      await subscribe(ws, 'news');
    }
    await expect(control(b).sendToUser('carol', 'news', { text: 'only carol' })).resolves.toBe(2);
    for (const ws of [onA, onB]) {
      expect(await ws.next(1)).toEqual([{ type: 'data', channel: 'news', data: { text: 'only carol' } }]);
    }
    await expect(control(a).unsubscribeUser('carol', 'rooms/7')).resolves.toBe(2);
    for (const ws of [onA, onB]) expect(await ws.next(1)).toEqual([{ type: 'unsubscribed', channel: 'rooms/7' }]);
    const lists = await control(a).listUser('carol');
    expect(lists.map((info) => info.subscriptions)).toEqual([['news'], ['news']]);
    await sleep(50);
    expect(other.frames).toEqual([]);
  });

  it('listUser sees the connections of both instances', async () => {
    const a = await start();
    const b = await start();
    await userClient(cleanup, a, 'erin');
    await userClient(cleanup, b, 'erin');
    await userClient(cleanup, b, 'erin');
    const list = await control(a).listUser('erin');
    expect(list).toHaveLength(3);
    const instances = list.map((info) => info.instance);
    expect(instances.filter((id) => id === broker(a).instanceId)).toHaveLength(1);
    expect(instances.filter((id) => id === broker(b).instanceId)).toHaveLength(2);
    expect(new Set(list.map((info) => info.id)).size).toBe(3);
  });

  it('maxConnectionsPerUser holds across instances; a close on one frees a slot on the other', async () => {
    const a = await start({ maxConnectionsPerUser: 2 });
    const b = await start({ maxConnectionsPerUser: 2 });
    await userClient(cleanup, a, 'frank');
    const onB = await userClient(cleanup, b, 'frank');
    expect(await refusedUpgrade(`${a.url}/?user=frank`)).toBe(429);
    expect(await refusedUpgrade(`${b.url}/?user=frank`)).toBe(429);
    await userClient(cleanup, a, 'gina');
    await onB.close();
    await waitFor(async () => (await admin().zcard(`${PREFIX}!user:{frank}`)) === 1);
    await userClient(cleanup, a, 'frank');
    expect(await refusedUpgrade(`${b.url}/?user=frank`)).toBe(429);
  });

  it('maxConnectionsPerUser: simultaneous handshakes on both instances never pass the limit', async () => {
    const a = await start({ maxConnectionsPerUser: 3 });
    const b = await start({ maxConnectionsPerUser: 3 });
    const attempts = await Promise.allSettled(
      Array.from({ length: 12 }, (_, i) => userClient(cleanup, i % 2 ? a : b, 'henry')),
    );
    expect(attempts.filter((attempt) => attempt.status === 'fulfilled')).toHaveLength(3);
    expect(await control(a).listUser('henry')).toHaveLength(3);
  });

  it('an entry whose instance stopped refreshing it (a crash) stops counting once it expires', async () => {
    const a = await start({ maxConnectionsPerUser: 1, presenceTtlMs: 2100 });
    const redisAdmin = admin();
    const time = await redisAdmin.time();
    const now = Number(time[0]) * 1000 + Math.floor(Number(time[1]) / 1000);
    // What a crashed instance leaves: an entry nobody refreshes.
    await redisAdmin.zadd(`${PREFIX}!user:{iris}`, now + 600, 'crashed-instance-connection');
    expect(await refusedUpgrade(`${a.url}/?user=iris`)).toBe(429);
    await sleep(700);
    const ws = await userClient(cleanup, a, 'iris');
    // A live entry is refreshed (every 700 ms here): it still counts at twice its TTL.
    await sleep(4200);
    expect(await refusedUpgrade(`${a.url}/?user=iris`)).toBe(429);
    expect(ws.closeCode).toBeUndefined();
  });

  it('a forged control message published on Redis (unsigned, or signed with another secret) does nothing', async () => {
    const a = await start();
    const ws = await userClient(cleanup, a, 'jack');
    const rejectedBefore = broker(a).stats.rejected;
    const channel = `${PREFIX}!control`;
    const command = `c1 ${JSON.stringify({ op: 'close', user: 'jack', code: 4000, reason: 'forged', req: 'f'.repeat(32), from: '0123456789abcdef', at: Date.now() })}`;
    const forger = admin();
    const mac = createHmac('sha256', 'another secret')
      .update(`v1 0123456789abcdef\n${channel}\n${command}`)
      .digest('hex');
    const receivers = await Promise.all([
      forger.publish(channel, `v1 0123456789abcdef\n${command}`),
      forger.publish(channel, `0123456789abcdef\n${command}`),
      forger.publish(channel, `v1 0123456789abcdef ${mac}\n${command}`),
      forger.publish(channel, command),
    ]);
    expect(receivers).toEqual([1, 1, 1, 1]); // the app heard them
    await waitFor(() => broker(a).stats.rejected === rejectedBefore + 4);
    await sleep(100);
    expect(ws.closeCode).toBeUndefined();
    expect(await control(a).listUser('jack')).toHaveLength(1);
  });

  it('a signed command replayed on Redis acts once', async () => {
    const a = await start({ controlTimeoutMs: 300 });
    const b = await start();
    // A spy subscribed to the control channel keeps the signed command, byte for byte. It counts as an
    // instance that never answers: the call rejects after controlTimeoutMs, B has acted all the same.
    const spy = admin();
    const captured: Buffer[] = [];
    spy.on('messageBuffer', (_channel: Buffer, message: Buffer) => captured.push(message));
    await spy.subscribe(`${PREFIX}!control`);
    const first = await userClient(cleanup, b, 'kate');
    await expect(control(a).closeUser('kate', 4002)).rejects.toThrow('1 of 2 other instance(s) answered');
    expect(await first.closed()).toBe(4002);
    expect(captured).toHaveLength(1);
    const second = await userClient(cleanup, b, 'kate');
    const rejectedBefore = broker(b).stats.rejected;
    await admin().publish(`${PREFIX}!control`, captured[0]);
    await sleep(200);
    expect(second.closeCode).toBeUndefined();
    // The envelope and its signature were accepted: the command itself was refused as seen before.
    expect(broker(b).stats.rejected).toBe(rejectedBefore);
  });

  it('an instance that does not answer: the call rejects after controlTimeoutMs, having acted on the others', async () => {
    const a = await start({ controlTimeoutMs: 300 });
    // A subscriber that is not an instance of the app: counted by PUBLISH, never answers.
    const mute = admin();
    await mute.subscribe(`${PREFIX}!control`);
    const ws = await userClient(cleanup, a, 'liam');
    const startedAt = Date.now();
    await expect(control(a).closeUser('liam')).rejects.toThrow(ControlUnavailableError);
    expect(Date.now() - startedAt).toBeGreaterThanOrEqual(250);
    expect(await ws.closed()).toBe(1008);
    await expect(control(a).listUser('liam')).rejects.toThrow('0 of 1 other instance(s) answered');
  });

  it('Redis down: calls reject at once with ControlUnavailableError after acting locally; the per-user limit fails open to a local count', async () => {
    const a = await start({ maxConnectionsPerUser: 2, controlTimeoutMs: 10_000 });
    const onA = await userClient(cleanup, a, 'mia');
    await redis.stop();
    await waitFor(() => !broker(a).connected);
    const startedAt = Date.now();
    await expect(control(a).closeUser('mia', 4005)).rejects.toThrow(ControlUnavailableError);
    expect(Date.now() - startedAt).toBeLessThan(3000); // at once: not after controlTimeoutMs (10 s)
    expect(await onA.closed()).toBe(4005);
    await expect(control(a).listUser('mia')).rejects.toThrow('The broker is not connected');
    // Fail-open: this instance's own count decides.
    await userClient(cleanup, a, 'mia');
    const second = await userClient(cleanup, a, 'mia');
    expect(await refusedUpgrade(`${a.url}/?user=mia`)).toBe(429);
    // Back: the entries written meanwhile are refreshed into Redis, and count again.
    await redis.start();
    await waitFor(() => broker(a).connected);
    await waitFor(async () => (await admin().zcard(`${PREFIX}!user:{mia}`)) === 2, { timeoutMs: 15_000 });
    await second.close();
    await waitFor(async () => (await admin().zcard(`${PREFIX}!user:{mia}`)) === 1);
  });

  it('Redis hung (paused): calls reject after controlTimeoutMs, never hang; the per-user limit fails open after it', async () => {
    const a = await start({ maxConnectionsPerUser: 1, controlTimeoutMs: 300 });
    const first = await userClient(cleanup, a, 'noah');
    redis.pause();
    cleanup.add(() => redis.resume());
    const startedAt = Date.now();
    await expect(control(a).closeUser('noah', 4006)).rejects.toThrow(ControlUnavailableError);
    expect(Date.now() - startedAt).toBeLessThan(5000);
    expect(await first.closed()).toBe(4006);
    // The script does not answer: after controlTimeoutMs this instance's count (0 open) decides.
    const admitted = await userClient(cleanup, a, 'noah');
    expect(await refusedUpgrade(`${a.url}/?user=noah`)).toBe(429);
    redis.resume();
    await waitFor(async () => (await admin().zcard(`${PREFIX}!user:{noah}`)) === 1, { timeoutMs: 15_000 });
    expect(admitted.closeCode).toBeUndefined();
  });
});
