import 'reflect-metadata';
import { SocketApiClient, type RecoveryEvent } from '../../client/src/index.js';
import { Recorder } from '../client/support/observe.js';
import { useCleanup } from '../support/cleanup.js';
import { describeWithRedis, RedisServer } from '../support/redis-server.js';
import type { TestApp } from '../support/test-app.js';
import { eventually, sleep } from '../support/wait.js';
import { TestClient } from '../support/ws-client.js';
import { Rooms, startRoomsInstance } from './rooms-app.js';

type Frame = Record<string, unknown>;

const TTL_MS = 3000;
const INTERVAL_MS = 1000;
const CHANNEL = 'rooms/x';

/**
 * Redis restarted without persistence under two instances serving `rooms/:roomId` (history +
 * presence): every stream and member is gone. Live subscribers are told (`subscribed`, recovered:false,
 * the new epoch), the client's `recovery$` emits false, a client coming back with its old position is
 * not recovered (the initial data, nothing replayed), members come back with the next refresh (a join),
 * and offsets start at 1 again.
 */
describeWithRedis('Redis restarted under a history + presence pattern channel', () => {
  const cleanup = useCleanup();
  let redis: RedisServer;
  beforeAll(async () => (redis = await RedisServer.start()));
  afterAll(() => redis?.stop());

  const open = async (app: TestApp, name: string) => cleanup.track(await TestClient.open(`${app.url}/?name=${name}`));
  const ofType = (client: TestClient, type: string) => (client.frames as Frame[]).filter((f) => f.type === type);

  it('live subscribers resync to the new epoch, recovery$ emits false, an old position is not recovered, members rejoin, offsets restart at 1', async () => {
    const options = { redisUrl: redis.url, prefix: 'restart', presenceTtlMs: TTL_MS, presenceIntervalMs: INTERVAL_MS };
    const a = cleanup.track(await startRoomsInstance(options));
    const b = cleanup.track(await startRoomsInstance(options));

    const live = await open(a, 'live');
    live.send({ type: 'subscribe', channel: CHANNEL, id: 'sub' });
    await live.next(2); // subscribed, initial data
    const member = await open(b, 'member');
    member.send({ type: 'subscribe', channel: CHANNEL, id: 'sub' });
    await member.waitFor(() => member.frames.some((f) => (f as Frame).id === 'sub'));
    const client = cleanup.track(new SocketApiClient(b.url, { heartbeat: false }));
    const recoveries = new Recorder<RecoveryEvent>(client.recovery$);
    const values = new Recorder(client.subscribe(CHANNEL));
    await values.until((received) => received.length === 1); // the initial data
    await live.waitFor(() => ofType(live, 'join').length === 2);
    const memberIds = ofType(live, 'join').map((f) => (f.data as { clientId: string }).clientId);

    const rooms = a.app.get(Rooms);
    for (let n = 1; n <= 3; n++) await rooms.publish('x', { tag: `old-${n}` });
    const away = await open(b, 'away');
    away.send({ type: 'subscribe', channel: CHANNEL, id: 'sub' });
    await away.waitFor(() => ofType(away, 'data').length === 1);
    const [{ epoch: oldEpoch, offset: oldOffset }] = ofType(away, 'subscribed') as Array<{
      epoch: string;
      offset: number;
    }>;
    expect(oldOffset).toBe(3);
    await away.close();
    await live.waitFor(() => ofType(live, 'data').length === 3);
    await values.until((received) => received.length === 4);
    live.frames.length = 0;

    await redis.restart();

    // The live subscriber is told, without an id: not recovered, the new epoch, an empty stream.
    await live.waitFor(() => ofType(live, 'subscribed').length === 1, { timeoutMs: 10_000 });
    const [resync] = ofType(live, 'subscribed') as Array<{ epoch: string }>;
    expect(resync).toEqual({ type: 'subscribed', channel: CHANNEL, offset: 0, epoch: resync.epoch, recovered: false });
    expect(resync.epoch).not.toBe(oldEpoch);
    await recoveries.until((events) => events.length === 1, { timeoutMs: 10_000 });
    expect(recoveries.values).toEqual([{ channel: CHANNEL, recovered: false }]);

    // Members come back with the next refresh: each announced again by a join, listed again.
    await live.waitFor(() => ofType(live, 'join').length >= 2, { timeoutMs: 2 * INTERVAL_MS + 2000 });
    expect(
      ofType(live, 'join')
        .map((f) => (f.data as { clientId: string }).clientId)
        .sort(),
    ).toEqual([...memberIds].sort());
    const listed = await eventually(
      async () => {
        const id = `who-${Date.now()}`;
        live.send({ type: 'presence', channel: CHANNEL, id });
        await live.waitFor(() => live.frames.some((f) => (f as Frame).id === id));
        return ((live.frames.find((f) => (f as Frame).id === id) as Frame).data as Array<{ clientId: string }>).length;
      },
      (count) => count === 3,
      { timeoutMs: 2 * INTERVAL_MS + 2000, intervalMs: 200 },
    );
    expect(listed).toBe(3);

    // A client back with its old position: not recovered, the initial data, nothing replayed.
    const back = await open(a, 'away');
    back.send({ type: 'subscribe', channel: CHANNEL, recover: { offset: oldOffset, epoch: oldEpoch }, id: 'back' });
    await back.waitFor(() => ofType(back, 'data').length === 1);
    await sleep(100);
    expect(back.frames.filter((f) => (f as Frame).type !== 'join' && (f as Frame).type !== 'leave')).toEqual([
      { type: 'subscribed', channel: CHANNEL, offset: 0, epoch: expect.any(String), recovered: false, id: 'back' },
      { type: 'data', channel: CHANNEL, data: { initial: 'x' } },
    ]);

    // Offsets start at 1 in the new epoch, whichever instance publishes.
    const first = await b.app.get(Rooms).publish('x', { tag: 'new-1' });
    expect(first.offset).toBe(1);
    expect(first.epoch).not.toBe(oldEpoch);
    for (const subscriber of [live, back]) {
      await subscriber.waitFor(() => ofType(subscriber, 'data').some((f) => f.offset === 1));
      expect(ofType(subscriber, 'data').filter((f) => f.offset !== undefined)).toEqual([
        { type: 'data', channel: CHANNEL, data: { tag: 'new-1' }, offset: 1 },
      ]);
    }
    await values.until((received) => received.length === 5);
    expect(values.values.at(-1)).toEqual({ tag: 'new-1' });
    expect(recoveries.values).toEqual([{ channel: CHANNEL, recovered: false }]);
  }, 40_000);
});
