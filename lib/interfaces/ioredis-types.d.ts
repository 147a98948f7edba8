// ioredis is an optional peer dependency, so the package's public types must compile in an app that
// does not have it, even with `skipLibCheck: false`: there, the import below fails silently and these
// types are `any` (such an app cannot use them anyway). tsc drops comments from the imports it emits,
// which would drop the `@ts-ignore`: this file is written by hand, and the build copies it to dist.
// eslint-disable-next-line @typescript-eslint/ban-ts-comment -- @ts-expect-error would fail where ioredis IS installed
// @ts-ignore -- ioredis is not installed in apps that do not use Redis
import type { Cluster, ClusterNode, ClusterOptions, Redis, RedisOptions } from 'ioredis';

/** An ioredis client (`new Redis(...)`). */
export type IoRedisClient = Redis;

/** ioredis's connection options (`new Redis(options)`). */
export type IoRedisOptions = RedisOptions;

/** An ioredis Redis Cluster client (`new Cluster(nodes, options)`). */
export type IoRedisCluster = Cluster;

/** ioredis's Cluster options (`new Cluster(nodes, options)`). */
export type IoRedisClusterOptions = ClusterOptions;

/** A node of a Redis Cluster as ioredis takes it: `'host:port'`, a port, or `{ host, port }`. */
export type IoRedisClusterNode = ClusterNode;
