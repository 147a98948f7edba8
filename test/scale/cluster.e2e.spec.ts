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

  const slotOf = (room: string) => cluster.keySlot(`${PREFIX}:{rooms/${room}}`);
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
   * Publishes to `room` from the first client until stored, and waits until every client got it once:
   * the time from `since` until then.
   */
  async function resumed(clients: TestClient[], room: string, tag: string, since: number): Promise<number> {
    await send(clients[0], room, tag);
    for (const client of clients) {
      await client.waitFor(() => tagsOf(client, room).includes(tag), { timeoutMs: RESUME_BOUND_MS });
    }
    return Date.now() - since;
  }

  it(`resumes delivery within ${RESUME_BOUND_MS} ms after a master is killed and after a graceful failover, without restarting the apps`, async () => {
    // Two instances in this process: the cluster's failures are what is tested, not the instances'.
    const urls: string[] = [];
    for (let index = 0; index < 2; index++) {
      const app = cleanup.track(
        await startRoomsInstance({
          redisUrl: { cluster: { nodes: cluster.startupNodes } },
          prefix: PREFIX,
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

    // SIGKILL of the master of room a: its replica takes over once the cluster sees it fail.
    const killed = cluster.masterOf(slotOf('a'));
    const killedAt = Date.now();
    await cluster.node(killed).kill();
    const afterKill = await resumed(clients, 'a', 'after-kill', killedAt);
    expect(cluster.masterOf(slotOf('a'))).not.toBe(killed);
    process.stdout.write(`[cluster] SIGKILL of a master: delivery resumed after ${afterKill} ms\n`);

    // A graceful failover of a master still replicated (not room a's new one): `CLUSTER FAILOVER` on its replica.
    await cluster.waitHealthy();
    const room = ROOMS.find((candidate) => {
      const master = cluster.masterOf(slotOf(candidate));
      return master !== cluster.masterOf(slotOf('a')) && hasReplica(master);
    })!;
    const old = cluster.masterOf(slotOf(room));
    const replica = cluster.replicaOf(old);
    const failedOverAt = Date.now();
    redisCli(['-p', String(replica), 'cluster', 'failover']);
    while (cluster.masterOf(slotOf(room)) !== replica) await sleep(20);
    const afterFailover = await resumed(clients, room, 'after-failover', failedOverAt);
    process.stdout.write(`[cluster] graceful CLUSTER FAILOVER: delivery resumed after ${afterFailover} ms\n`);

    // Every room got every publication once, on both instances (no duplicate from a retried script).
    await sleep(300);
    for (const client of clients) {
      for (const candidate of ROOMS) {
        const tags = tagsOf(client, candidate);
        expect(new Set(tags).size).toBe(tags.length);
      }
      expect(tagsOf(client, 'a')).toEqual(['before-a', 'after-kill']);
      expect(tagsOf(client, room)).toEqual([`before-${room}`, 'after-failover']);
    }
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
