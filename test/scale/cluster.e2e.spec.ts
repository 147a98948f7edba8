import 'reflect-metadata';
import { Cluster } from 'ioredis';
import { SocketApiEmitter } from '../../lib/index.js';
import { compileChild, startChild, type CompiledChild } from '../support/child-instance.js';
import { useCleanup } from '../support/cleanup.js';
import { RedisCluster, redisCli } from '../support/redis-cluster.js';
import { describeWithRedis } from '../support/redis-server.js';
import { sleep } from '../support/wait.js';
import { TestClient } from '../support/ws-client.js';
import { startRoomsInstance } from './rooms-app.js';
import { redisModule, startInstance, subscriber, takeData } from './scale-app.js';

type Frame = Record<string, unknown>;

const PREFIX = 'cl';
const TTL_MS = 3000;
const INTERVAL_MS = 1000;
/** The rooms published to: their slots are checked to lie on at least two masters. */
const ROOMS = ['a', 'b', 'c', 'd', 'e', 'f'];
/**
 * Delivery on a failed-over master's channels must resume within this, without restarting the apps (measured
 * on this machine: about 2.3 s after a SIGKILL with cluster-node-timeout 1000, see docs/scaling-redis.md).
 */
const RESUME_BOUND_MS = 15_000;

/**
 * The Redis broker on a real Redis Cluster (3 masters, 3 replicas, on loopback): app instances in their own
 * processes serving `rooms/:roomId` (history + presence) over sharded pub/sub. Every publication reaches every
 * subscriber once, in offset order, on channels spread over the shards; a client away recovers what it missed;
 * presence is shared. Then a master is killed (SIGKILL), and another is failed over gracefully (`CLUSTER
 * FAILOVER` on its replica): delivery on their channels resumes without restarting the apps.
 */
describeWithRedis('the Redis broker on a Redis Cluster', () => {
  const cleanup = useCleanup();
  let cluster: RedisCluster;
  let compiled: CompiledChild;

  beforeAll(async () => {
    cluster = await RedisCluster.start();
    compiled = compileChild('test/scale/rooms-child.ts');
  }, 90_000);

  afterAll(async () => {
    compiled?.remove();
    await cluster?.stop();
  });

  const crashes: string[] = [];
  afterEach(() => expect(crashes.splice(0)).toEqual([]));

  const slotOf = (room: string, prefix = PREFIX) => cluster.keySlot(`${prefix}:{rooms/${room}}`);
  const open = async (url: string, name: string) => cleanup.track(await TestClient.open(`${url}/?name=${name}`));
  const ofType = (client: TestClient, type: string) => (client.frames as Frame[]).filter((f) => f.type === type);
  const dataOf = (client: TestClient, room: string) =>
    ofType(client, 'data').filter((f) => f.channel === `rooms/${room}` && f.offset !== undefined);
  const tagsOf = (client: TestClient, room: string) => dataOf(client, room).map((f) => (f.data as { tag: string }).tag);

  /** `count` instances of the rooms app, each in its own process, on the cluster. */
  async function instances(count: number): Promise<string[]> {
    const urls: string[] = [];
    for (let index = 0; index < count; index++) {
      const { child, port } = await startChild(compiled.entry, {
        CLUSTER_NODES: JSON.stringify(cluster.startupNodes),
        PREFIX,
        TTL_MS: String(TTL_MS),
        INTERVAL_MS: String(INTERVAL_MS),
      });
      let output = '';
      child.stdout?.on('data', (chunk: Buffer) => (output = (output + chunk.toString()).slice(-8000)));
      child.stderr?.on('data', (chunk: Buffer) => (output = (output + chunk.toString()).slice(-8000)));
      // An instance that dies on its own fails the test with what it said.
      child.once('exit', (code, signal) => {
        if (signal !== 'SIGKILL') crashes.push(`instance ${index} exited (${code ?? signal}):\n${output}`);
      });
      cleanup.add(() => child.kill('SIGKILL'));
      urls.push(`ws://127.0.0.1:${port}`);
    }
    return urls;
  }

  async function subscribeAll(client: TestClient): Promise<void> {
    for (const room of ROOMS) {
      client.send({ type: 'subscribe', channel: `rooms/${room}`, id: `sub-${room}` });
      await client.waitFor(() => client.frames.some((f) => (f as Frame).id === `sub-${room}`));
    }
  }

  /** Sends `send` until the app stored it: an error reply (the slot has no master yet) is retried until `timeoutMs`. */
  async function send(client: TestClient, room: string, tag: string, timeoutMs = RESUME_BOUND_MS): Promise<void> {
    const deadline = Date.now() + timeoutMs;
    for (let attempt = 0; ; attempt++) {
      const id = `send-${tag}-${attempt}`;
      client.send({ type: 'action', channel: 'send', data: { roomId: room, tag }, id });
      await client.waitFor(() => client.frames.some((f) => (f as Frame).id === id), { timeoutMs: 10_000 });
      const reply = client.frames.find((f) => (f as Frame).id === id) as Frame;
      if (reply.type !== 'error') return;
      if (Date.now() > deadline)
        throw new Error(`'${tag}' was not stored within ${timeoutMs} ms: ${JSON.stringify(reply)}`);
      await sleep(50);
    }
  }

  it('delivers every publication once, in order, across three instances on channels over several shards; history recovers; presence is shared', async () => {
    const masters = new Set(ROOMS.map((room) => cluster.masterOf(slotOf(room))));
    expect(masters.size).toBeGreaterThanOrEqual(2);

    const urls = await instances(3);
    const clients = await Promise.all(urls.map((url, index) => open(url, `c${index}`)));
    for (const client of clients) await subscribeAll(client);

    // Presence: joins are announced to the subscribers already there (each client sees those of the clients
    // that subscribed after it), and the members are listed from any instance.
    for (const [index, client] of clients.entries()) {
      const later = clients.length - 1 - index;
      await client.waitFor(() => ofType(client, 'join').length === later * ROOMS.length, { timeoutMs: 10_000 });
    }
    clients[1].send({ type: 'presence', channel: 'rooms/a', id: 'who' });
    await clients[1].waitFor(() => clients[1].frames.some((f) => (f as Frame).id === 'who'));
    const listed = (clients[1].frames.find((f) => (f as Frame).id === 'who') as Frame).data as Array<{
      info: { name: string };
    }>;
    expect(listed.map((member) => member.info.name).sort()).toEqual(['c0', 'c1', 'c2']);

    // Each instance publishes 3 times to every room, the three at once.
    const perInstance = 3;
    await Promise.all(
      clients.map(async (client, index) => {
        for (let n = 1; n <= perInstance; n++)
          for (const room of ROOMS) await send(client, room, `${index}-${room}-${n}`);
      }),
    );
    const total = perInstance * clients.length;
    for (const client of clients) {
      for (const room of ROOMS) {
        await client.waitFor(() => dataOf(client, room).length >= total);
        expect(dataOf(client, room).map((f) => f.offset)).toEqual(Array.from({ length: total }, (_, i) => i + 1));
        expect(new Set(tagsOf(client, room)).size).toBe(total);
      }
    }
    await sleep(300); // and no duplicate after them
    for (const client of clients) for (const room of ROOMS) expect(dataOf(client, room)).toHaveLength(total);

    // A client away from one instance recovers, on another, what was published meanwhile.
    const away = await open(urls[2], 'away');
    away.send({ type: 'subscribe', channel: 'rooms/b', id: 'away' });
    await away.waitFor(() => away.frames.some((f) => (f as Frame).id === 'away'));
    const { epoch, offset } = away.frames.find((f) => (f as Frame).id === 'away') as { epoch: string; offset: number };
    expect(offset).toBe(total);
    await away.close();
    for (let n = 1; n <= 3; n++) await send(clients[0], 'b', `missed-${n}`);
    const back = await open(urls[1], 'back');
    back.send({ type: 'subscribe', channel: 'rooms/b', recover: { epoch, offset }, id: 'back' });
    await back.waitFor(() => dataOf(back, 'b').length === 3);
    expect(back.frames.find((f) => (f as Frame).id === 'back')).toMatchObject({ recovered: true, offset: total + 3 });
    expect(tagsOf(back, 'b')).toEqual(['missed-1', 'missed-2', 'missed-3']);
  }, 90_000);

  it("carries channels without history over sharded pub/sub, from an app's own Cluster client and from SocketApiEmitter", async () => {
    const prefix = 'plain';
    const own = new Cluster(cluster.startupNodes, {
      enableOfflineQueue: false,
      redisOptions: { autoResendUnfulfilledCommands: false, maxRetriesPerRequest: 0 },
    });
    cleanup.add(() => own.disconnect());
    const a = cleanup.track(
      await startInstance('a', redisModule({ cluster: { nodes: cluster.startupNodes } }, prefix)),
    );
    const b = cleanup.track(await startInstance('b', redisModule(own, prefix)));
    const onA = cleanup.track(await subscriber(a));
    const onB = cleanup.track(await subscriber(b));

    // Sharded: both instances SSUBSCRIBEd on the master of the channel's slot; nothing on plain pub/sub.
    const redisChannel = `${prefix}:{feed}`;
    const master = cluster.masterOf(cluster.keySlot(redisChannel));
    const shardSubscribers = () =>
      Number(redisCli(['-p', String(master), 'pubsub', 'shardnumsub', redisChannel]).split('\n')[1]);
    const deadline = Date.now() + 5000;
    while (shardSubscribers() !== 2 && Date.now() < deadline) await sleep(20);
    expect(shardSubscribers()).toBe(2);
    expect(redisCli(['-p', String(master), 'pubsub', 'numsub', redisChannel]).split('\n')[1]).toBe('0');

    a.service.feed({ from: 'a' });
    b.service.feed({ from: 'b' });
    const emitter = new SocketApiEmitter({ connection: { cluster: { nodes: cluster.startupNodes } }, prefix });
    cleanup.add(() => emitter.close());
    await emitter.publish('feed', { from: 'emitter' });
    const received = { a: [] as unknown[], b: [] as unknown[] };
    for (const [name, client] of [
      ['a', onA],
      ['b', onB],
    ] as const) {
      await client.waitFor(() => {
        received[name].push(...takeData(client));
        return received[name].length >= 3;
      });
    }
    await sleep(300); // and no duplicate after them
    received.a.push(...takeData(onA));
    received.b.push(...takeData(onB));
    for (const data of [received.a, received.b]) {
      expect([...data].sort((x, y) => JSON.stringify(x).localeCompare(JSON.stringify(y)))).toEqual([
        { from: 'a' },
        { from: 'b' },
        { from: 'emitter' },
      ]);
    }
  }, 60_000);

  /**
   * Publishes `<tag>-1`, `<tag>-2`, … to `room` from the first client (each until stored) until every client is sent
   * one as data: how long after `since` that was, and how many were published. After a failover, the first ones start
   * the stream's new epoch, and a live subscriber may be resynced to them (`recovered: false`) rather than sent them.
   */
  async function resumed(
    clients: TestClient[],
    room: string,
    tag: string,
    since: number,
  ): Promise<{ ms: number; published: number }> {
    for (let n = 1; ; n++) {
      await send(clients[0], room, `${tag}-${n}`);
      const delivered = await Promise.all(
        clients.map((client) =>
          client
            .waitFor(() => tagsOf(client, room).includes(`${tag}-${n}`), { timeoutMs: 500 })
            .then(
              () => true,
              () => false,
            ),
        ),
      );
      if (delivered.every(Boolean)) return { ms: Date.now() - since, published: n };
      if (Date.now() - since > RESUME_BOUND_MS)
        throw new Error(`'${room}' not delivered ${RESUME_BOUND_MS} ms after the failure`);
    }
  }

  it(`resumes delivery within ${RESUME_BOUND_MS} ms after a master is killed and after a graceful failover, without restarting the apps`, async () => {
    // Two instances in this process: the cluster's failures are what is tested, not the instances'.
    const urls: string[] = [];
    for (let index = 0; index < 2; index++) {
      const app = cleanup.track(
        await startRoomsInstance({
          redisUrl: { cluster: { nodes: cluster.startupNodes } },
          prefix: 'fo',
          presenceTtlMs: TTL_MS,
          presenceIntervalMs: INTERVAL_MS,
        }),
      );
      urls.push(app.url);
    }
    const clients = await Promise.all(urls.map((url, index) => open(url, `f${index}`)));
    for (const client of clients) await subscribeAll(client);
    for (const room of ROOMS) await send(clients[1], room, `before-${room}`);
    for (const client of clients) {
      for (const room of ROOMS) await client.waitFor(() => tagsOf(client, room).includes(`before-${room}`));
    }
    // Each room's position before the failures, as a client that subscribes now is told it.
    const positions = new Map<string, { offset: number; epoch: string }>();
    const early = await open(urls[0], 'early');
    for (const room of ROOMS) {
      early.send({ type: 'subscribe', channel: `rooms/${room}`, id: `early-${room}` });
      await early.waitFor(() => early.frames.some((f) => (f as Frame).id === `early-${room}`));
      const { offset, epoch } = early.frames.find((f) => (f as Frame).id === `early-${room}`) as Frame;
      positions.set(room, { offset: offset as number, epoch: epoch as string });
    }
    await early.close();

    // SIGKILL of the master of room a: its replica takes over once the cluster sees it fail.
    const killed = cluster.masterOf(slotOf('a', 'fo'));
    const killedAt = Date.now();
    await cluster.node(killed).kill();
    const afterKill = await resumed(clients, 'a', 'after-kill', killedAt);
    expect(cluster.masterOf(slotOf('a', 'fo'))).not.toBe(killed);
    process.stdout.write(`[cluster] SIGKILL of a master: delivery resumed after ${afterKill.ms} ms\n`);

    // A graceful failover of a master still replicated (not room a's new one): `CLUSTER FAILOVER` on its replica.
    await cluster.waitHealthy();
    const room = ROOMS.find((candidate) => {
      const master = cluster.masterOf(slotOf(candidate, 'fo'));
      return master !== cluster.masterOf(slotOf('a', 'fo')) && hasReplica(master);
    })!;
    const old = cluster.masterOf(slotOf(room, 'fo'));
    const replica = cluster.replicaOf(old);
    const failedOverAt = Date.now();
    redisCli(['-p', String(replica), 'cluster', 'failover']);
    while (cluster.masterOf(slotOf(room, 'fo')) !== replica) await sleep(20);
    const afterFailover = await resumed(clients, room, 'after-failover', failedOverAt);
    process.stdout.write(`[cluster] graceful CLUSTER FAILOVER: delivery resumed after ${afterFailover.ms} ms\n`);

    // Every room got every publication once, on both instances (no duplicate from a retried script). The
    // streams of the failed-over slots started a new epoch (their new master cannot vouch for the old one's
    // offsets): live subscribers were resynced, the first publication of the new epoch delivered or covered by
    // that resync, a position from before is not recovered, never replayed in part.
    await sleep(300);
    const resyncs = (client: TestClient, candidate: string) =>
      ofType(client, 'subscribed').filter((f) => f.channel === `rooms/${candidate}` && f.id === undefined);
    for (const client of clients) {
      for (const candidate of ROOMS) {
        const tags = tagsOf(client, candidate);
        expect(new Set(tags).size).toBe(tags.length);
      }
      for (const [failed, tag, { published }] of [
        ['a', 'after-kill', afterKill],
        [room, 'after-failover', afterFailover],
      ] as const) {
        // Resynced (`recovered: false`) once the old stream was found gone; the last notice (a new stream born
        // after that resync is announced with `recovered: true`) names the new epoch.
        expect(resyncs(client, failed).some((f) => f.recovered === false)).toBe(true);
        const lastResync = resyncs(client, failed).at(-1) as { epoch: string; offset: number };
        expect(lastResync.epoch).not.toBe(positions.get(failed)!.epoch);
        // In order, once; those of the new epoch up to the resync's offset may be covered by it instead.
        const sent = Array.from({ length: published }, (_, i) => `${tag}-${i + 1}`);
        expect(tagsOf(client, failed)).toEqual([
          `before-${failed}`,
          ...sent.filter((t, i) => i + 1 > lastResync.offset || tagsOf(client, failed).includes(t)),
        ]);
      }
    }
    const late = await open(urls[1], 'late');
    for (const failed of ['a', room]) {
      late.send({
        type: 'subscribe',
        channel: `rooms/${failed}`,
        recover: positions.get(failed),
        id: `late-${failed}`,
      });
      await late.waitFor(() => late.frames.some((f) => (f as Frame).id === `late-${failed}`));
      expect(late.frames.find((f) => (f as Frame).id === `late-${failed}`)).toMatchObject({
        recovered: false,
        offset: (failed === 'a' ? afterKill : afterFailover).published,
      });
    }
    await sleep(200);
    expect(tagsOf(late, 'a')).toEqual([]);
    expect(tagsOf(late, room)).toEqual([]);
  }, 60_000);

  function hasReplica(masterPort: number): boolean {
    try {
      cluster.replicaOf(masterPort);
      return true;
    } catch {
      return false;
    }
  }
});
