import 'reflect-metadata';
import { Redis } from 'ioredis';
import { decodePresenceMessage, type DecodedPresenceEvent } from '../../lib/broker/presence-envelope.js';
import { RedisPresenceStore } from '../../lib/broker/redis-presence-store.js';
import { useCleanup } from '../support/cleanup.js';
import { describeWithRedis, RedisServer } from '../support/redis-server.js';
import { eventually, sleep, waitFor } from '../support/wait.js';

/** The events published on a channel's Redis channel, decoded, in the order Redis sent them. */
class EventLog {
  readonly events: DecodedPresenceEvent[] = [];
  readonly refused: string[] = [];

  static async listen(url: string, redisChannel: string): Promise<{ log: EventLog; client: Redis }> {
    const log = new EventLog();
    const client = new Redis(url);
    client.on('messageBuffer', (_channel: Buffer, message: Buffer) => {
      const decoded = decodePresenceMessage(message);
      if (typeof decoded === 'string') log.refused.push(decoded);
      else log.events.push(decoded);
    });
    await client.subscribe(redisChannel);
    return { log, client };
  }

  of(event: 'join' | 'leave'): string[] {
    return this.events.filter((e) => e.event === event).map((e) => e.member.clientId);
  }
}

const PREFIX = 'pres';

describeWithRedis('RedisPresenceStore against a real redis-server', () => {
  let redis: RedisServer;
  let admin: Redis;
  const cleanup = useCleanup();
  let channelSeq = 0;
  let channel: string;

  beforeAll(async () => {
    redis = await RedisServer.start();
    admin = new Redis(redis.url);
  });

  afterAll(async () => {
    await admin?.quit();
    await redis?.stop();
  });

  beforeEach(() => {
    channel = `rooms/${++channelSeq}`;
  });

  /** A store on its own connection (an instance), closed after the test. */
  async function instance(
    name: string,
    options: { ttlMs?: number; intervalMs?: number } = {},
  ): Promise<{ store: RedisPresenceStore; client: Redis }> {
    const client = new Redis(redis.url, { enableOfflineQueue: false, lazyConnect: true });
    await client.connect();
    const senderId = Buffer.from(name.padEnd(8, '_')).toString('hex').slice(0, 16);
    const warnings: string[] = [];
    const store = new RedisPresenceStore({
      client: () => client,
      prefix: PREFIX,
      senderId,
      ttlMs: options.ttlMs ?? 60_000,
      intervalMs: options.intervalMs ?? 30_000,
      logger: { warn: (message) => warnings.push(message) },
    });
    cleanup.add(() => client.disconnect());
    cleanup.add(() => store.close());
    return { store, client };
  }

  async function events(): Promise<EventLog> {
    const { log, client } = await EventLog.listen(redis.url, `${PREFIX}:${channel}`);
    cleanup.add(() => client.quit());
    return log;
  }

  it('lists members with their info; a join is announced once, a second join of the same member is a refresh', async () => {
    const log = await events();
    const { store } = await instance('a');
    await store.join(channel, { clientId: 'c1', info: { name: 'Ann' } }, true);
    await store.join(channel, { clientId: 'c2' }, true);
    await store.join(channel, { clientId: 'c1', info: { name: 'Ann' } }, true);

    const members = await store.list(channel);
    expect(members.sort((x, y) => x.clientId.localeCompare(y.clientId))).toEqual([
      { clientId: 'c1', info: { name: 'Ann' } },
      { clientId: 'c2' },
    ]);
    await waitFor(() => log.events.length >= 2);
    await sleep(50);
    expect(log.events).toEqual([
      { event: 'join', member: { clientId: 'c1', info: { name: 'Ann' } } },
      { event: 'join', member: { clientId: 'c2' } },
    ]);
    expect(log.refused).toEqual([]);
  });

  it("keeps a channel's keys in one hash slot, with an expiry", async () => {
    const { store } = await instance('a');
    await store.join(channel, { clientId: 'c1' }, false);
    const keys = (await admin.keys(`${PREFIX}:*`)).filter((key) => key.includes(`{${channel}}`)).sort();
    expect(keys).toEqual([`${PREFIX}:{${channel}}:p`, `${PREFIX}:{${channel}}:pz`]);
    for (const key of keys) {
      const pttl = await admin.pttl(key);
      expect(pttl).toBeGreaterThan(0);
      expect(pttl).toBeLessThanOrEqual(60_000);
    }
  });

  it('a leave is announced only by the call that removed the member, and never without joinLeave', async () => {
    const log = await events();
    const { store: a } = await instance('a');
    const { store: b } = await instance('b');
    await a.join(channel, { clientId: 'c1' }, true);
    await Promise.all([a.leave(channel, 'c1', true), b.leave(channel, 'c1', true), a.leave(channel, 'c1', true)]);
    await a.join(channel, { clientId: 'quiet' }, false);
    await a.leave(channel, 'quiet', false);
    await a.join(channel, { clientId: 'marker' }, true);
    await waitFor(() => log.of('join').includes('marker'));
    expect(log.of('join')).toEqual(['c1', 'marker']);
    expect(log.of('leave')).toEqual(['c1']);
    expect(await a.list(channel)).toEqual([{ clientId: 'marker' }]);
  });

  it("sweeps a silent instance's members after the TTL: each leave published once, with two sweepers racing", async () => {
    const log = await events();
    const ttlMs = 600;
    // The silent instance: its members are written, then it never refreshes (a kill -9).
    const { store: dead, client: deadClient } = await instance('dead', { ttlMs, intervalMs: 300 });
    const { store: b } = await instance('b', { ttlMs, intervalMs: 300 });
    const { store: c } = await instance('c', { ttlMs, intervalMs: 300 });
    const ghosts = Array.from({ length: 50 }, (_, i) => `ghost-${i}`);
    for (const clientId of ghosts) await dead.join(channel, { clientId }, true);
    deadClient.disconnect();
    await b.join(channel, { clientId: 'b1' }, true);
    await c.join(channel, { clientId: 'c1' }, true);
    await sleep(ttlMs + 50);

    // Both refresh at the same moment, on their own connections: the scripts race in Redis.
    for (let round = 0; round < 3; round++) await Promise.all([b.refresh(), c.refresh(), b.list(channel)]);

    await waitFor(() => log.of('leave').length >= ghosts.length);
    await sleep(100);
    expect(log.of('leave').sort()).toEqual([...ghosts].sort());
    expect(new Set(log.of('join'))).toEqual(new Set([...ghosts, 'b1', 'c1']));
    expect(log.of('join')).toHaveLength(ghosts.length + 2);
    const listed = (await c.list(channel)).map((member) => member.clientId).sort();
    expect(listed).toEqual(['b1', 'c1']);
  });

  it('refreshes on its own timer: live members outlive the TTL, a silent one leaves within TTL + interval', async () => {
    const log = await events();
    const ttlMs = 400;
    const intervalMs = 200;
    const { store: live } = await instance('live', { ttlMs, intervalMs });
    const { store: dead, client: deadClient } = await instance('dead', { ttlMs, intervalMs });
    await live.join(channel, { clientId: 'alive' }, true);
    await dead.join(channel, { clientId: 'gone' }, true);
    deadClient.disconnect();
    const silentSince = Date.now();
    await waitFor(() => log.of('leave').includes('gone'), { timeoutMs: 3000 });
    const leftAfter = Date.now() - silentSince;
    expect(leftAfter).toBeLessThanOrEqual(ttlMs + intervalMs + 200);
    await sleep(3 * ttlMs);
    expect(log.of('leave')).toEqual(['gone']);
    expect(await live.list(channel)).toEqual([{ clientId: 'alive' }]);
  });

  it("a list never shows a member past its expiry, and publishes that member's leave once", async () => {
    const log = await events();
    const { store: dead, client: deadClient } = await instance('dead', { ttlMs: 300, intervalMs: 150 });
    const { store: reader } = await instance('reader');
    await dead.join(channel, { clientId: 'gone' }, true);
    deadClient.disconnect();
    // A query comes from a subscriber: a member of the channel here, whose joinLeave the store knows.
    await reader.join(channel, { clientId: 'reader' }, true);
    expect(await reader.list(channel)).toContainEqual({ clientId: 'gone' });
    await sleep(350);
    const [first, second] = await Promise.all([reader.list(channel), reader.list(channel)]);
    expect(first).toEqual([{ clientId: 'reader' }]);
    expect(second).toEqual([{ clientId: 'reader' }]);
    await waitFor(() => log.of('leave').length > 0);
    await sleep(50);
    expect(log.of('leave')).toEqual(['gone']);
  });

  it('close() sends the leaves of the members still held, and later writes do nothing', async () => {
    const log = await events();
    const { store } = await instance('a');
    const { store: other } = await instance('b');
    await other.join(channel, { clientId: 'stays' }, true);
    await store.join(channel, { clientId: 'x1' }, true);
    await store.join(channel, { clientId: 'x2', info: 7 }, true);
    await store.close();
    await store.join(channel, { clientId: 'late' }, true);
    expect((await other.list(channel)).map((m) => m.clientId)).toEqual(['stays']);
    await waitFor(() => log.of('leave').length >= 2);
    expect(log.of('leave').sort()).toEqual(['x1', 'x2']);
    expect(store.localMembers).toBe(0);
  });

  it('after a Redis restart (no persistence), the next refresh re-creates the members, with a join', async () => {
    const { store, client } = await instance('a', { ttlMs: 2000, intervalMs: 1000 });
    await store.join(channel, { clientId: 'r1', info: 'x' }, true);
    await redis.restart();
    await eventually(
      () => client.status,
      (status) => status === 'ready',
      { timeoutMs: 10_000 },
    );
    // The event log subscribes after the restart (its old connection is gone with the server).
    const log = await events();
    await store.refresh();
    expect(await store.list(channel)).toEqual([{ clientId: 'r1', info: 'x' }]);
    await waitFor(() => log.of('join').length > 0);
    expect(log.events).toEqual([{ event: 'join', member: { clientId: 'r1', info: 'x' } }]);
    admin.disconnect();
    admin = new Redis(redis.url);
  });

  it('while Redis is unreachable: join and leave resolve, list rejects; the refresh writes the members once back', async () => {
    const { store, client } = await instance('a', { ttlMs: 4000, intervalMs: 2000 });
    client.disconnect();
    await waitFor(() => client.status === 'end');
    await store.join(channel, { clientId: 'offline' }, true);
    await store.join(channel, { clientId: 'left' }, true);
    await store.leave(channel, 'left', true);
    await expect(store.list(channel)).rejects.toThrow('Redis is not connected');
    await client.connect();
    const log = await events();
    await store.refresh();
    expect(await store.list(channel)).toEqual([{ clientId: 'offline' }]);
    await waitFor(() => log.of('join').length > 0);
    expect(log.of('join')).toEqual(['offline']);
  });

  it('refuses a TTL under twice the interval', () => {
    expect(
      () =>
        new RedisPresenceStore({
          client: () => undefined,
          prefix: PREFIX,
          senderId: '0123456789abcdef',
          ttlMs: 1000,
          intervalMs: 600,
          logger: { warn: () => undefined },
        }),
    ).toThrow('presenceTtlMs (1000) must be at least twice presenceIntervalMs (600)');
  });
});
