import 'reflect-metadata';
import type { StreamPosition } from '../../lib/index.js';
import { compileChild, startChild, type CompiledChild } from '../support/child-instance.js';
import { useCleanup } from '../support/cleanup.js';
import { describeWithRedis, RedisServer } from '../support/redis-server.js';
import type { TestApp } from '../support/test-app.js';
import { sleep } from '../support/wait.js';
import { TestClient } from '../support/ws-client.js';
import { Rooms, startRoomsInstance } from './rooms-app.js';

type Frame = Record<string, unknown>;

const TTL_MS = 3000;
const INTERVAL_MS = 1000;
const CHANNEL = 'rooms/k';

/**
 * An instance serving `rooms/:roomId` (history + presence) killed with SIGKILL: the leaves of its
 * members reach the other instance's subscribers within the presence TTL + sweep interval, and its
 * clients, reconnecting to the other instance with `recover`, get every publication they missed
 * (those published while they were away, on the surviving instance, included), once, in order.
 */
describeWithRedis('an instance with a history + presence pattern channel killed with SIGKILL', () => {
  const cleanup = useCleanup();
  let redis: RedisServer;
  let compiled: CompiledChild;

  beforeAll(async () => {
    redis = await RedisServer.start();
    compiled = compileChild('test/scale/rooms-child.ts');
  }, 120_000);

  afterAll(async () => {
    compiled?.remove();
    await redis?.stop();
  });

  const open = async (url: string, name: string) => cleanup.track(await TestClient.open(`${url}/?name=${name}`));
  const ofType = (client: TestClient, type: string) => (client.frames as Frame[]).filter((f) => f.type === type);
  const clientIds = (frames: Frame[]) => frames.map((f) => (f.data as { clientId: string }).clientId).sort();

  it(`leaves within TTL + interval (${TTL_MS} + ${INTERVAL_MS} ms); its clients recover on the other instance`, async () => {
    const prefix = 'killed';
    const a: TestApp = cleanup.track(
      await startRoomsInstance({ redisUrl: redis.url, prefix, presenceTtlMs: TTL_MS, presenceIntervalMs: INTERVAL_MS }),
    );
    const { child, port } = await startChild(compiled.entry, {
      REDIS_URL: redis.url,
      PREFIX: prefix,
      TTL_MS: String(TTL_MS),
      INTERVAL_MS: String(INTERVAL_MS),
    });
    cleanup.add(() => child.kill('SIGKILL'));
    const rooms = a.app.get(Rooms);

    const watcher = await open(a.url, 'ann');
    watcher.send({ type: 'subscribe', channel: CHANNEL, id: 'sub' });
    const [subscribed] = (await watcher.next(2)) as Frame[]; // subscribed, initial data
    expect(subscribed).toMatchObject({ type: 'subscribed', channel: CHANNEL, offset: 0, id: 'sub' });

    const victims = [await open(`ws://127.0.0.1:${port}`, 'v1'), await open(`ws://127.0.0.1:${port}`, 'v2')];
    for (const victim of victims) {
      victim.send({ type: 'subscribe', channel: CHANNEL, id: 'sub' });
      await victim.waitFor(() => victim.frames.some((f) => (f as Frame).id === 'sub'));
    }
    await watcher.waitFor(() => ofType(watcher, 'join').length === 2);
    const victimIds = clientIds(ofType(watcher, 'join'));

    // Publications from both instances before the kill: the child's through the action, A's directly.
    victims[0].send({ type: 'action', channel: 'send', data: { roomId: 'k', tag: 'K-1' }, id: 'send' });
    await victims[0].waitFor(() => victims[0].frames.some((f) => (f as Frame).id === 'send'));
    const second = await rooms.publish('k', { tag: 'A-2' });
    expect(second.offset).toBe(2);
    const positions: StreamPosition[] = [];
    for (const victim of victims) {
      await victim.waitFor(() => ofType(victim, 'data').some((f) => f.offset === 2));
      const data = ofType(victim, 'data').filter((f) => f.offset !== undefined);
      expect(data.map((f) => [f.offset, (f.data as { tag: string }).tag])).toEqual([
        [1, 'K-1'],
        [2, 'A-2'],
      ]);
      positions.push({ offset: 2, epoch: second.epoch });
    }

    const killedAt = Date.now();
    child.kill('SIGKILL');
    await Promise.all(victims.map((victim) => victim.closed()));
    // Published on the surviving instance while the victims are away.
    for (const n of [3, 4, 5]) expect((await rooms.publish('k', { tag: `A-${n}` })).offset).toBe(n);

    // The victims come back to A with their positions: recovered, exactly 3..5, no initial data.
    const back: TestClient[] = [];
    for (const index of victims.keys()) {
      const client = await open(a.url, `v${index + 1}`);
      client.send({ type: 'subscribe', channel: CHANNEL, recover: positions[index], id: 'back' });
      await client.waitFor(() => ofType(client, 'data').length === 3);
      await sleep(50);
      expect(client.frames.filter((f) => (f as Frame).type !== 'join' && (f as Frame).type !== 'leave')).toEqual([
        { type: 'subscribed', channel: CHANNEL, offset: 5, epoch: second.epoch, recovered: true, id: 'back' },
        ...[3, 4, 5].map((n) => ({ type: 'data', channel: CHANNEL, data: { tag: `A-${n}` }, offset: n })),
      ]);
      back.push(client);
    }

    await watcher.waitFor(() => ofType(watcher, 'leave').length >= 2, { timeoutMs: TTL_MS + INTERVAL_MS + 5000 });
    const elapsed = Date.now() - killedAt;
    console.log(
      `leaves of a SIGKILLed instance's members arrived ${elapsed} ms after the kill (bound ${TTL_MS + INTERVAL_MS} ms)`,
    );
    // The bound: the scores stop at the last refresh (≤ TTL after the kill), and A sweeps every interval.
    expect(elapsed).toBeLessThanOrEqual(TTL_MS + INTERVAL_MS + 2000); // margin for a busy machine's timers
    await sleep(2 * INTERVAL_MS);
    expect(clientIds(ofType(watcher, 'leave'))).toEqual(victimIds);
    // The returning victims joined again (new connections, new ids); the watcher got every publication once.
    const rejoined = clientIds(ofType(watcher, 'join')).filter((id) => !victimIds.includes(id));
    expect(rejoined).toHaveLength(2);
    expect(ofType(watcher, 'data').map((f) => f.offset)).toEqual([1, 2, 3, 4, 5]);
    watcher.send({ type: 'presence', channel: CHANNEL, id: 'who' });
    await watcher.waitFor(() => watcher.frames.some((f) => (f as Frame).id === 'who'));
    const members = (watcher.frames.find((f) => (f as Frame).id === 'who') as { data: Array<{ clientId: string }> })
      .data;
    // The watcher and the two returned victims; none of the killed instance's members is left.
    expect(members).toHaveLength(3);
    expect(members.map((m) => m.clientId)).toEqual(expect.arrayContaining(rejoined));
    expect(members.map((m) => m.clientId).filter((id) => victimIds.includes(id))).toEqual([]);
  }, 60_000);
});
