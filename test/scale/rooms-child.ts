import 'reflect-metadata';
import { startRoomsInstance } from './rooms-app.js';

/**
 * The rooms app in its own process, for the test that kills it with SIGKILL: configured by the
 * environment, it prints `PORT <port>` once it listens.
 */
const instance = await startRoomsInstance({
  redisUrl: process.env.REDIS_URL!,
  prefix: process.env.PREFIX!,
  presenceTtlMs: Number(process.env.TTL_MS),
  presenceIntervalMs: Number(process.env.INTERVAL_MS),
});
process.stdout.write(`PORT ${new URL(instance.url).port}\n`);
