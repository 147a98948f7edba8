import 'reflect-metadata';
import { createHmac } from 'node:crypto';
import { Cluster } from 'ioredis';
import { type RedisBroker, SocketApiConnections } from '../../lib/index.js';
import { SOCKET_API_BROKER } from '../../lib/socket-api.constants.js';
import { useCleanup } from '../support/cleanup.js';
import { RedisCluster, redisCli } from '../support/redis-cluster.js';
import { describeWithRedis } from '../support/redis-server.js';
import type { TestApp } from '../support/test-app.js';
import { eventually, sleep, waitFor } from '../support/wait.js';
import { refusedUpgrade } from '../support/ws-client.js';
import { startControlApp, subscribe, userClient } from './control-app.js';

const PREFIX = 'ctl';
const SECRET = 'control-cluster-secret';
/** The control channel for every instance, sharded: hash-tagged, in one slot. */
const CONTROL_CHANNEL = `${PREFIX}!{control}`;

/**
 * `SocketApiConnections` with the Redis broker on a real Redis Cluster (3 masters, 3 replicas): the control
 * messages go over sharded pub/sub (SPUBLISH/SSUBSCRIBE on hash-tagged channels), signed as on one Redis; the
 * per-user limit's key is in one slot. One cluster for the file; the graceful failover comes last.
 */
describeWithRedis('SocketApiConnections on a Redis Cluster', () => {
  const cleanup = useCleanup();
  let cluster: RedisCluster;

  beforeAll(async () => {
    cluster = await RedisCluster.start();
  }, 90_000);
  afterAll(() => cluster?.stop());

  const start = (maxConnectionsPerUser?: number) =>
    startControlApp(cleanup, {
      maxConnectionsPerUser,
      redis: { connection: { cluster: { nodes: cluster.startupNodes } }, prefix: PREFIX, secret: SECRET },
    });
  const control = (app: TestApp) => app.app.get(SocketApiConnections);
  const broker = (app: TestApp) => app.app.get<RedisBroker>(SOCKET_API_BROKER);
  const admin = () => {
    const client = new Cluster(cluster.startupNodes, { redisOptions: { maxRetriesPerRequest: 0 } });
    cleanup.add(() => client.disconnect());
    return client;
  };
  /** `PUBSUB <subcommand> <channel>`'s count on the node on `port`. */
  const subscribers = (port: number, subcommand: 'numsub' | 'shardnumsub', channel: string) =>
    Number(
      redisCli(['-p', String(port), 'pubsub', subcommand, channel])
        .trim()
        .split('\n')[1],
    );
  const controlMaster = () => cluster.masterOf(cluster.keySlot(CONTROL_CHANNEL));

  it('closeUser, listUser, sendToUser and the per-user limit work across two instances, over sharded pub/sub', async () => {
    const a = await start(2);
    const b = await start(2);
    // Both instances SSUBSCRIBEd on the master of the control channel's slot; nothing on plain pub/sub.
    expect(subscribers(controlMaster(), 'shardnumsub', CONTROL_CHANNEL)).toBe(2);
    for (const node of cluster.nodes) expect(subscribers(node.port, 'numsub', `${PREFIX}!control`)).toBe(0);

    const onA = await userClient(cleanup, a, 'alice');
    const onB = await userClient(cleanup, b, 'alice');
    const other = await userClient(cleanup, b, 'bob');
    const list = await control(a).listUser('alice');
    expect(list.map((info) => info.instance).sort()).toEqual([broker(a).instanceId, broker(b).instanceId].sort());

    for (const ws of [onA, onB, other]) await subscribe(ws, 'news');
    await expect(control(b).sendToUser('alice', 'news', { text: 'only alice' })).resolves.toBe(2);
    for (const ws of [onA, onB]) {
      expect(await ws.next(1)).toEqual([{ type: 'data', channel: 'news', data: { text: 'only alice' } }]);
    }
    // The limit's key (one slot) counts both instances' connections.
    expect(await refusedUpgrade(`${a.url}/?user=alice`)).toBe(429);

    await expect(control(a).closeUser('alice', 4001, 'Banned')).resolves.toBe(2);
    expect(await onA.closed()).toBe(4001);
    expect(await onB.closed()).toBe(4001);
    await waitFor(async () => (await admin().zcard(`${PREFIX}!user:{alice}`)) === 0);
    await userClient(cleanup, b, 'alice');
    await sleep(50);
    expect(other.frames).toEqual([]);
    expect(other.closeCode).toBeUndefined();
  });

  it('a forged control message SPUBLISHed on the cluster (unsigned, or signed with another secret) does nothing', async () => {
    const a = await start();
    const ws = await userClient(cleanup, a, 'jack');
    const rejectedBefore = broker(a).stats.rejected;
    const command = `c1 ${JSON.stringify({ op: 'close', user: 'jack', code: 4000, reason: 'forged', req: 'f'.repeat(32), from: '0123456789abcdef', at: Date.now() })}`;
    const mac = createHmac('sha256', 'another secret')
      .update(`v1 0123456789abcdef\n${CONTROL_CHANNEL}\n${command}`)
      .digest('hex');
    const forger = admin();
    const receivers = await Promise.all([
      forger.spublish(CONTROL_CHANNEL, `v1 0123456789abcdef\n${command}`),
      forger.spublish(CONTROL_CHANNEL, `v1 0123456789abcdef ${mac}\n${command}`),
      forger.spublish(CONTROL_CHANNEL, command),
    ]);
    expect(receivers).toEqual([1, 1, 1]); // the app heard them
    await waitFor(() => broker(a).stats.rejected === rejectedBefore + 3);
    await sleep(100);
    expect(ws.closeCode).toBeUndefined();
    expect(await control(a).listUser('jack')).toHaveLength(1);
  });

  it('after a graceful failover of the control channel’s master, both instances listen on the new master and control works', async () => {
    const a = await start();
    const b = await start();
    const ws = await userClient(cleanup, b, 'carol');
    const old = controlMaster();
    const replica = cluster.replicaOf(old);
    redisCli(['-p', String(replica), 'cluster', 'failover']);
    await waitFor(() => controlMaster() === replica, { timeoutMs: 15_000 });
    // ioredis SSUBSCRIBEs the control channels again on their slots' masters: the one for every instance,
    // and each instance's own (where the answers go; its slot may be on the failed-over shard too). Until
    // then a command may be carried out while its answer is lost (ControlUnavailableError): docs/control.md.
    const answers = (app: TestApp) => `${PREFIX}!{control!${broker(app).instanceId}}`;
    await waitFor(
      () =>
        subscribers(controlMaster(), 'shardnumsub', CONTROL_CHANNEL) === 2 &&
        [a, b].every(
          (app) => subscribers(cluster.masterOf(cluster.keySlot(answers(app))), 'shardnumsub', answers(app)) === 1,
        ),
      { timeoutMs: 15_000 },
    );
    // Calls made while the cluster settles may fail (CLUSTERDOWN, a timeout), and are retried. What they
    // must never do is answer as if B were not there: an SPUBLISH taken by the node that lost the slot
    // (before ioredis reads the slots again) reaches no one, and is an error, not "no connection".
    const anyAnswer = () => true;
    expect(await eventually(() => control(a).listUser('carol'), anyAnswer, { timeoutMs: 15_000 })).toHaveLength(1);
    expect(await eventually(() => control(a).closeUser('carol', 4003), anyAnswer, { timeoutMs: 15_000 })).toBe(1);
    expect(await ws.closed()).toBe(4003);
  });
});
