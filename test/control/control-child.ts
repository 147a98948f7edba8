import 'reflect-metadata';
import { startControlInstance } from './control-app.js';

/**
 * The control test app in its own process, for the test that kills it with SIGKILL: configured by the
 * environment, it prints `PORT <port>` once it listens.
 */
const ttlMs = Number(process.env.TTL_MS);
const instance = await startControlInstance({
  maxConnectionsPerUser: 1,
  redis: {
    connection: process.env.REDIS_URL!,
    prefix: process.env.PREFIX!,
    secret: process.env.SECRET!,
    presenceTtlMs: ttlMs,
    presenceIntervalMs: Math.round(ttlMs / 3),
  },
});
process.stdout.write(`PORT ${new URL(instance.url).port}\n`);
