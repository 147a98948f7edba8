import 'reflect-metadata';
import { Registry } from 'prom-client';
import { useCleanup } from '../support/cleanup.js';
import { parsePrometheusText, valueOf } from '../support/prometheus-text.js';
import { describeWithRedis, RedisServer } from '../support/redis-server.js';
import { startApp } from '../support/test-app.js';
import { eventually } from '../support/wait.js';
import { TestClient } from '../support/ws-client.js';
import { metricsApp } from './metrics-app.js';

/** The Redis broker's own counts, as metrics: publications across instances, and what an outage drops. */
describeWithRedis('metrics of the Redis broker', () => {
  const cleanup = useCleanup();

  it('count publications sent and received across instances, and those an outage fails', async () => {
    const redis = await RedisServer.start();
    cleanup.add(() => redis.stop());
    const [registryA, registryB] = [new Registry(), new Registry()];
    const options = { redis: { connection: redis.url }, heartbeat: false } as const;
    const a = cleanup.track(await startApp(metricsApp({ ...options, metrics: { registry: registryA } })));
    const b = cleanup.track(await startApp(metricsApp({ ...options, metrics: { registry: registryB } })));
    const publisher = cleanup.track(await TestClient.open(a.url));
    const subscriber = cleanup.track(await TestClient.open(b.url));
    subscriber.send({ type: 'subscribe', channel: 'rooms/1', id: 1 });
    await subscriber.next(1);
    publisher.send({ type: 'action', channel: 'say', data: { room: '1', text: 'hi' }, id: 1 });
    expect(await subscriber.next(1)).toEqual([{ type: 'data', channel: 'rooms/1', data: { text: 'hi' } }]);
    const scrape = async (registry: Registry) => parsePrometheusText(await registry.metrics());
    const sent = await eventually(
      () => scrape(registryA),
      (families) => valueOf(families, 'socketapi_broker_published_total') === 1,
    );
    expect(valueOf(sent, 'socketapi_broker_publish_failures_total', { reason: 'dropped' })).toBe(0);
    expect(valueOf(sent, 'socketapi_broker_pending_bytes')).toBe(0);
    expect(valueOf(await scrape(registryB), 'socketapi_broker_received_total')).toBe(1);

    await redis.kill();
    await eventually(
      () => scrape(registryA),
      (families) => valueOf(families, 'socketapi_broker_outages_total') === 1,
    );
    publisher.send({ type: 'action', channel: 'say', data: { room: '1', text: 'lost' }, id: 2 });
    publisher.send({ type: 'action', channel: 'tick', data: { n: 1 }, id: 3 });
    await publisher.next(2);
    const failed = await scrape(registryA);
    expect(valueOf(failed, 'socketapi_broker_publish_failures_total', { reason: 'dropped' })).toBe(1);
    expect(valueOf(failed, 'socketapi_broker_publish_failures_total', { reason: 'history' })).toBe(1);
    expect(valueOf(failed, 'socketapi_errors_sent_total', { code: 'UNAVAILABLE' })).toBe(1);
  });
});
