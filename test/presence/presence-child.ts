import 'reflect-metadata';
import { startPresenceInstance } from './presence-app.js';

/**
 * An instance in its own process, for the test that kills it with SIGKILL: configured by the
 * environment, it prints `PORT <port>` once it listens.
 */
const instance = await startPresenceInstance({
  redisUrl: process.env.REDIS_URL!,
  prefix: process.env.PREFIX!,
  ttlMs: Number(process.env.TTL_MS),
  intervalMs: Number(process.env.INTERVAL_MS),
});
process.stdout.write(`PORT ${instance.port}\n`);
