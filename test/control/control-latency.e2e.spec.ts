import 'reflect-metadata';
import { performance } from 'node:perf_hooks';
import { SocketApiConnections } from '../../lib/index.js';
import { useCleanup } from '../support/cleanup.js';
import { describeWithRedis, RedisServer } from '../support/redis-server.js';
import { TestClient } from '../support/ws-client.js';
import { startControlApp } from './control-app.js';

const CALLS = Number(process.env.CONTROL_LATENCY_CALLS ?? 200);

function percentile(sorted: number[], p: number): number {
  return sorted[Math.min(sorted.length - 1, Math.floor((p / 100) * sorted.length))];
}

/**
 * The time closeUser takes to have effect across instances: a client of a user on B, closeUser called
 * on A; from the call to the client's close event (effect), and to the Promise's resolution (every
 * instance answered). Both apps, Redis and the clients run on this machine (the apps in this process).
 * `CONTROL_LATENCY_CALLS=1000` for more samples; the numbers go to the console.
 */
describeWithRedis('closeUser: time to effect across two instances', () => {
  const cleanup = useCleanup();
  let redis: RedisServer;
  beforeAll(async () => (redis = await RedisServer.start()));
  afterAll(() => redis.stop());

  it(`p50/p99 over ${CALLS} calls, within a generous bound`, async () => {
    const options = { redis: { connection: redis.url, prefix: 'lat', secret: 'latency' } };
    const a = await startControlApp(cleanup, options);
    const b = await startControlApp(cleanup, options);
    const control = a.app.get(SocketApiConnections);
    const toEffect: number[] = [];
    const toResolve: number[] = [];
    for (let i = 0; i < CALLS; i++) {
      const ws = await TestClient.open(`${b.url}/?user=u${i}`);
      cleanup.add(() => ws.socket.terminate());
      const closed = new Promise<number>((resolve) => ws.socket.once('close', () => resolve(performance.now())));
      const startedAt = performance.now();
      const count = await control.closeUser(`u${i}`);
      toResolve.push(performance.now() - startedAt);
      toEffect.push((await closed) - startedAt);
      expect(count).toBe(1);
    }
    toEffect.sort((x, y) => x - y);
    toResolve.sort((x, y) => x - y);
    const line = (name: string, values: number[]) =>
      `${name}: p50 ${percentile(values, 50).toFixed(2)} ms, p99 ${percentile(values, 99).toFixed(2)} ms, max ${values[values.length - 1].toFixed(2)} ms`;
    console.log(
      `closeUser across two instances, ${CALLS} calls\n${line('to the client’s close', toEffect)}\n${line('to resolve', toResolve)}`,
    );
    // A bound that proves the guarantee (no call waits for a timeout or a refresh), not a speed claim.
    expect(percentile(toEffect, 99)).toBeLessThan(1000);
  }, 120_000);
});
