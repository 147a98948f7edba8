import { randomBytes } from 'node:crypto';
import type { Cluster, ClusterOptions, Redis, RedisOptions } from 'ioredis';
import { assertOptionalPeerInstalled, loadOptionalPeer } from '../packaging/optional-peer.js';
import type { RedisClusterConnection, RedisConnection } from '../interfaces/redis-broker-options.interface.js';

/** A connection to one Redis (standalone or through Sentinel) or to a Redis Cluster. */
export type RedisOrCluster = Redis | Cluster;

/**
 * Reconnection delays: 100 ms, doubling, at most 1 s, retried forever; ±20 % jitter, so that many
 * instances that lost Redis together do not all knock at the same moment.
 */
export function reconnectBackoff(times: number): number {
  const delay = Math.min(100 * 2 ** Math.min(times - 1, 4), 1000);
  return Math.round(delay * (0.8 + Math.random() * 0.4));
}

/** An ioredis client or Cluster (any copy of ioredis), as opposed to a URL or an options object. */
export function isRedisClient(connection: RedisConnection): connection is RedisOrCluster {
  return (
    typeof connection === 'object' &&
    connection !== null &&
    typeof (connection as Partial<Redis>).duplicate === 'function' &&
    typeof (connection as Partial<Redis>).publish === 'function'
  );
}

/** A client that is an ioredis `Cluster` (ioredis marks them with `isCluster`). */
export function isClusterClient(client: RedisOrCluster): client is Cluster {
  return (client as Partial<Cluster>).isCluster === true;
}

/** `{ cluster: { nodes } }`: where a Redis Cluster is (not a client: a Cluster has a `cluster` method, not object). */
export function isClusterConnection(connection: RedisConnection): connection is RedisClusterConnection {
  return (
    typeof connection === 'object' &&
    connection !== null &&
    !isRedisClient(connection) &&
    typeof (connection as Partial<RedisClusterConnection>).cluster === 'object'
  );
}

/** ioredis's client class: what opens connections of ours. */
export type RedisClientClass = typeof Redis;

/** ioredis's Cluster class: what opens our connections to a Redis Cluster. */
export type ClusterClientClass = typeof Cluster;

/** What needs ioredis, for the error that tells a user without it what to install. */
const REDIS_FEATURE = 'Redis (the `redis` option, RedisBroker, SocketApiEmitter)';

/** Throws a clear error now when ioredis is not installed (see `assertOptionalPeerInstalled`). */
export function assertRedisInstalled(): void {
  assertOptionalPeerInstalled('ioredis', REDIS_FEATURE);
}

/**
 * ioredis's client class, imported when the first connection of ours is made: ioredis is an
 * optional peer dependency, installed and loaded by the apps that use Redis only.
 */
export async function loadRedisClientClass(): Promise<RedisClientClass> {
  return (await loadOptionalPeer('ioredis', REDIS_FEATURE, () => import('ioredis'))).Redis;
}

/** ioredis's Cluster class, imported as `loadRedisClientClass` imports the client's. */
export async function loadClusterClientClass(): Promise<ClusterClientClass> {
  return (await loadOptionalPeer('ioredis', REDIS_FEATURE, () => import('ioredis'))).Cluster;
}

/** What the library sets on a Cluster connection of its own: on the Cluster, and on each node's connection. */
export interface ClusterOverrides {
  cluster: Partial<ClusterOptions>;
  node: Partial<RedisOptions>;
}

/**
 * Slots are re-read this often when the user's options do not say: a graceful failover or a slot migration
 * makes the old owner unsubscribe sharded subscribers without closing their connection, and nothing else
 * may tell ioredis that the topology changed (see `RedisBroker`).
 */
const SLOTS_REFRESH_INTERVAL_MS = 2000;

/**
 * A new Cluster of ours, not connected yet (`lazyConnect`). `overrides` win over the user's options;
 * the reconnection backoff and the slots refresh interval are ours unless the user set theirs.
 */
export function createClusterClient(
  ClusterClient: ClusterClientClass,
  { cluster }: RedisClusterConnection,
  overrides: ClusterOverrides,
): Cluster {
  if (!Array.isArray(cluster.nodes) || cluster.nodes.length === 0) {
    throw new Error('Redis Cluster: `cluster.nodes` must list at least one node of the cluster.');
  }
  const options = cluster.options ?? {};
  return new ClusterClient(cluster.nodes, {
    clusterRetryStrategy: reconnectBackoff,
    slotsRefreshInterval: SLOTS_REFRESH_INTERVAL_MS,
    ...options,
    ...overrides.cluster,
    redisOptions: { ...options.redisOptions, ...overrides.node },
    lazyConnect: true,
  });
}

/** A second Cluster beside the user's `client`, with its startup nodes and options and `overrides`. */
export function duplicateCluster(client: Cluster, overrides: ClusterOverrides): Cluster {
  return client.duplicate([], {
    ...overrides.cluster,
    redisOptions: { ...client.options.redisOptions, ...overrides.node },
    lazyConnect: true,
  });
}

/**
 * A new client of ours, not connected yet (`lazyConnect`). `overrides` win over the user's
 * options, except `retryStrategy`: the user's is kept if given, ours is exponential backoff.
 */
export function createRedisClient(
  RedisClient: RedisClientClass,
  connection: string | RedisOptions,
  overrides: Partial<RedisOptions>,
): Redis {
  if (typeof connection === 'string') {
    return new RedisClient(connection, { retryStrategy: reconnectBackoff, ...overrides, lazyConnect: true });
  }
  return new RedisClient({ retryStrategy: reconnectBackoff, ...connection, ...overrides, lazyConnect: true });
}

/** `host:port` (or the socket path, or the sentinel group, or the cluster's nodes) of a client, for messages. */
export function describeRedis(client: RedisOrCluster): string {
  if (isClusterClient(client)) {
    const masters = client.nodes('master').map(({ options }) => `${options.host}:${options.port}`);
    return masters.length > 0 ? `cluster ${masters.join(', ')}` : "the cluster's startup nodes";
  }
  const options = client.options;
  if (options.path) return options.path;
  if (options.sentinels && options.sentinels.length > 0) return `sentinel group '${options.name ?? 'mymaster'}'`;
  return `${options.host ?? 'localhost'}:${options.port ?? 6379}`;
}

/** Starts connecting a client that has not started yet; a failure is reported by its events. */
export function startConnecting(client: RedisOrCluster): void {
  if (client.status === 'wait') client.connect().catch(() => undefined);
}

/**
 * Resolves when every client is `ready`; rejects after `timeoutMs` with
 * `Cannot reach Redis at <host:port> within <n> ms` (and the last connection error, if any).
 */
export function whenReady(clients: RedisOrCluster[], timeoutMs: number): Promise<void> {
  return new Promise((resolve, reject) => {
    let lastError: Error | undefined;
    const pending = new Set(clients.filter((client) => client.status !== 'ready'));
    const cleanups: Array<() => void> = [];
    const finish = (error?: Error) => {
      clearTimeout(timer);
      for (const cleanup of cleanups) cleanup();
      if (error) reject(error);
      else resolve();
    };
    const timer = setTimeout(() => {
      const [first] = pending;
      const cause = lastError ? ` (last error: ${lastError.message})` : '';
      finish(new Error(`Cannot reach Redis at ${describeRedis(first ?? clients[0])} within ${timeoutMs} ms${cause}`));
    }, timeoutMs);
    if (pending.size === 0) return finish();
    for (const client of pending) {
      const onReady = () => {
        pending.delete(client);
        if (pending.size === 0) finish();
      };
      const onError = (error: Error) => {
        lastError = error;
      };
      const onEnd = () => {
        const cause = lastError ? ` (last error: ${lastError.message})` : '';
        finish(new Error(`Cannot reach Redis at ${describeRedis(client)}: the client gave up connecting${cause}`));
      };
      client.once('ready', onReady);
      client.on('error', onError);
      client.once('end', onEnd);
      cleanups.push(() => {
        client.off('ready', onReady);
        client.off('error', onError);
        client.off('end', onEnd);
      });
    }
  });
}

/** Closes a client of ours: QUIT when connected (bounded), else drops the socket and any retry. */
export async function closeRedisClient(client: RedisOrCluster): Promise<void> {
  if (client.status === 'end') return;
  if (client.status !== 'ready') {
    // Nothing to flush: no FIN-and-wait on a server that may never answer.
    client.disconnect();
    if (!isClusterClient(client)) (client.stream as { destroy?: () => void } | undefined)?.destroy?.();
    return;
  }
  let timer: NodeJS.Timeout | undefined;
  const gaveUp = new Promise<void>((resolve) => (timer = setTimeout(resolve, 1000)));
  await Promise.race([
    client.quit().then(
      () => undefined,
      () => undefined,
    ),
    gaveUp,
  ]);
  clearTimeout(timer);
  if ((client.status as string) !== 'end') client.disconnect();
}

/** A random id for a publishing process, so that it can recognise its own messages. */
export function newSenderId(): string {
  return randomBytes(8).toString('hex');
}
