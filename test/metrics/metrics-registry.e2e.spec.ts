import 'reflect-metadata';
import { Test } from '@nestjs/testing';
import { Counter, Histogram, register, Registry } from 'prom-client';
import { SocketApiMetrics } from '../../lib/metrics/socket-api-metrics.js';
import { createPrometheusMetrics, type PromClient } from '../../lib/metrics/prometheus-metrics.js';
import { InMemoryBroker, type PrometheusRegistry } from '../../lib/index.js';
import { useCleanup } from '../support/cleanup.js';
import { httpRequest } from '../support/http-request.js';
import { parsePrometheusText, valueOf } from '../support/prometheus-text.js';
import { startApp } from '../support/test-app.js';
import { TestClient } from '../support/ws-client.js';
import { metricsApp } from './metrics-app.js';
import * as promClient from 'prom-client';

const ours = (registry: Registry) =>
  registry.getMetricsAsArray().filter((metric) => metric.name.startsWith('socketapi_')).length;

describe('metrics on a registry shared by many apps', () => {
  const cleanup = useCleanup();

  it.each([
    ['an own registry', () => new Registry()],
    ["prom-client's global register", () => register],
  ])('three apps in a row on %s: each registers its metrics, and takes them out as it closes', async (_, make) => {
    const registry = make();
    const app = new Counter({ name: 'app_requests_total', help: 'The app’s own.', registers: [registry] });
    cleanup.add(() => registry.removeSingleMetric('app_requests_total'));
    for (let round = 1; round <= 3; round++) {
      const started = await startApp(metricsApp({ metrics: { registry } }));
      try {
        const client = await TestClient.open(started.url);
        app.inc();
        const families = parsePrometheusText(await registry.metrics());
        // This app's count (not the sum of the apps before it), beside the app's own metric.
        expect(valueOf(families, 'socketapi_connections_accepted_total')).toBe(1);
        expect(valueOf(families, 'app_requests_total')).toBe(round);
        await client.close();
      } finally {
        await started.close();
      }
      expect(ours(registry)).toBe(0);
    }
    expect(registry.getSingleMetric('app_requests_total')).toBe(app);
  });

  it('on an OpenMetrics registry (which renames counters as it scrapes them) too', async () => {
    const registry = new Registry<typeof Registry.OPENMETRICS_CONTENT_TYPE>();
    registry.setContentType(Registry.OPENMETRICS_CONTENT_TYPE);
    for (let round = 1; round <= 2; round++) {
      const started = await startApp(metricsApp({ metrics: { registry } }));
      try {
        const scrape = await httpRequest(Number(new URL(started.url).port), '/metrics');
        expect(scrape.headers['content-type']).toBe(Registry.OPENMETRICS_CONTENT_TYPE);
        expect(scrape.body).toContain('socketapi_connections_accepted_total 0\n');
        expect(scrape.body.endsWith('# EOF\n')).toBe(true);
      } finally {
        await started.close();
      }
      expect(registry.getMetricsAsArray()).toEqual([]);
    }
  });

  it('a second app on the same registry at once fails to start, saying why; another prefix is fine', async () => {
    const registry = new Registry();
    cleanup.track(await startApp(metricsApp({ metrics: { registry, path: false } })));
    await expect(startApp(metricsApp({ metrics: { registry, path: false } }))).rejects.toThrow(
      "the metrics registry already holds a metric named 'socketapi_connections'",
    );
    // The first app's metrics are still there, still its own.
    expect(ours(registry)).toBeGreaterThan(10);
    const second = cleanup.track(await startApp(metricsApp({ metrics: { registry, path: false, prefix: 'second_' } })));
    cleanup.track(await TestClient.open(second.url));
    const families = parsePrometheusText(await registry.metrics());
    expect(valueOf(families, 'second_connections')).toBe(1);
    expect(valueOf(families, 'socketapi_connections')).toBe(0);
  });

  it('types: prom-client registries are what the option takes', () => {
    const registries: PrometheusRegistry[] = [new Registry(), register];
    expect(registries).toHaveLength(2);
  });
});

describe('the action duration histogram', () => {
  it('is formatted by the registry exactly as a prom-client Histogram with the same observations', async () => {
    const counters = new SocketApiMetrics();
    const observations = [0.0001, 0.0005, 0.0007, 0.003, 0.02, 0.2, 0.7, 3, 7, 12, 0];
    for (const seconds of observations) counters.durationsOf('echo').observe(0, seconds, 1);
    // A run of actions timed together: three observations of their mean at once.
    counters.durationsOf('echo').observe(0, 0.0015, 3);
    counters.durationsOf('echo').observe(1, 0.004, 1);
    const ourRegistry = new Registry();
    const made = createPrometheusMetrics(promClient as unknown as PromClient, 'x_', {
      counters,
      membersByChannel: () => new Map(),
      broker: new InMemoryBroker(),
    });
    const histogram = made.find((metric) => metric.name === 'x_action_duration_seconds')!;
    ourRegistry.registerMetric(histogram as never);

    const referenceRegistry = new Registry();
    const reference = new Histogram({
      name: 'x_action_duration_seconds',
      help: 'Time from an action frame to its reply, by action and outcome (completed or error).',
      labelNames: ['action', 'outcome'],
      buckets: [0.0005, 0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10],
      registers: [referenceRegistry],
    });
    for (const seconds of [...observations, 0.0015, 0.0015, 0.0015]) {
      reference.observe({ action: 'echo', outcome: 'completed' }, seconds);
    }
    reference.observe({ action: 'echo', outcome: 'error' }, 0.004);
    expect(await ourRegistry.metrics()).toBe(await referenceRegistry.metrics());
    // The JSON too, but for prom-client's `exemplar: null` (exemplars are not kept).
    const withoutExemplars = (await referenceRegistry.getMetricsAsJSON()).map((metric) => ({
      ...metric,
      values: metric.values.map(
        ({ value, labels, metricName }: { value: number; labels: object; metricName?: string }) => ({
          value,
          labels,
          metricName,
        }),
      ),
    }));
    expect(await ourRegistry.getMetricsAsJSON()).toEqual(withoutExemplars);
  });
});

describe('the metrics module without an HTTP server', () => {
  it('keeps the metrics in an application context', async () => {
    const registry = new Registry();
    const moduleRef = await Test.createTestingModule(metricsApp({ metrics: { registry } })).compile();
    await moduleRef.init();
    expect(ours(registry)).toBeGreaterThan(10);
    await moduleRef.close();
    expect(ours(registry)).toBe(0);
  });
});
