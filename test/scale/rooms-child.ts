import 'reflect-metadata';
import { startRoomsInstance } from './rooms-app.js';

/**
 * The rooms app in its own process, for the test that kills it with SIGKILL: configured by the
 * environment, it prints `PORT <port>` once it listens.
 */
const instance = await startRoomsInstance({
  // CLUSTER_NODES (JSON, `[{ host, port }]`): a Redis Cluster instead of REDIS_URL.
  redisUrl: process.env.CLUSTER_NODES
    ? { cluster: { nodes: JSON.parse(process.env.CLUSTER_NODES) as Array<{ host: string; port: number }> } }
    : process.env.REDIS_URL!,
  prefix: process.env.PREFIX!,
  presenceTtlMs: Number(process.env.TTL_MS),
  presenceIntervalMs: Number(process.env.INTERVAL_MS),
});
process.stdout.write(`PORT ${new URL(instance.url).port}\n`);
