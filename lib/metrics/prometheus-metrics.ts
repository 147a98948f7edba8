import { RedisBroker } from '../broker/redis.broker.js';
import type { PrometheusRegistry } from '../interfaces/metrics-options.interface.js';
import type { SocketApiBroker } from '../interfaces/socket-api-broker.interface.js';
import {
  ACTION_DURATION_BUCKETS,
  ACTION_OUTCOMES,
  CLOSE_CODE_LABELS,
  ERROR_CODES,
  FRAME_IN_TYPES,
  FRAME_OUT_TYPES,
  REFUSAL_REASONS,
} from './metric-labels.js';
import type { SocketApiMetrics } from './socket-api-metrics.js';

type Labels = Record<string, string>;
/** A series: its labels and value. */
type Sample = readonly [Labels, number];

/** What is used of prom-client's module (typed here: the package's types must not need prom-client). */
export interface PromClient {
  Registry: new () => PrometheusRegistry;
  Counter: new (config: CollectedConfig<CounterLike>) => RegisteredMetric;
  Gauge: new (config: CollectedConfig<GaugeLike>) => RegisteredMetric;
}

interface CounterLike {
  reset(): void;
  inc(labels: Labels, value: number): void;
}

interface GaugeLike {
  reset(): void;
  set(labels: Labels, value: number): void;
}

interface CollectedConfig<Metric> {
  name: string;
  help: string;
  labelNames: string[];
  registers: [];
  collect(this: Metric): void;
}

/** What the metrics read when scraped. */
export interface MetricSources {
  counters: SocketApiMetrics;
  /** Members of each declared channel (a pattern's concrete channels under the pattern). */
  membersByChannel(): ReadonlyMap<string, number>;
  broker: SocketApiBroker;
}

/** A metric object the registry holds: prom-client's own, or the histogram below. */
export interface RegisteredMetric {
  readonly name: string;
}

/**
 * The server's metrics as prom-client metrics that read `sources` when scraped (`collect`): the
 * server only bumps plain numbers. Each is made with `registers: []` and registered by the caller
 * on the registry it chose.
 */
export function createPrometheusMetrics(prom: PromClient, prefix: string, sources: MetricSources): RegisteredMetric[] {
  const { counters } = sources;
  /** A metric of `Kind` whose series are `read` when scraped, each written by `fill` (`inc` or `set`). */
  const collected =
    <Metric extends { reset(): void }>(
      Kind: new (config: CollectedConfig<Metric>) => RegisteredMetric,
      fill: (metric: Metric, labels: Labels, value: number) => void,
    ): Maker =>
    (name, help, labelNames, read) =>
      new Kind({
        name: prefix + name,
        help,
        labelNames,
        registers: [],
        collect() {
          this.reset();
          for (const [labels, value] of read()) fill(this, labels, value);
        },
      });
  const counter = collected(prom.Counter, (metric, labels, value) => metric.inc(labels, value));
  const gauge = collected(prom.Gauge, (metric, labels, value) => metric.set(labels, value));
  const metrics: RegisteredMetric[] = [
    gauge('connections', 'WebSocket connections open now.', [], () => [
      [{}, counters.connectionsOpened - counters.connectionsClosed],
    ]),
    counter('connections_accepted_total', 'WebSocket connections accepted.', [], () => [
      [{}, counters.connectionsOpened],
    ]),
    counter('connections_refused_total', 'WebSocket upgrades refused, by reason.', ['reason'], () =>
      byLabel('reason', REFUSAL_REASONS, counters.refused),
    ),
    gauge(
      'subscriptions',
      'Subscriptions now, by declared channel (a pattern such as rooms/:roomId counts all its channels).',
      ['channel'],
      () => [...sources.membersByChannel()].map(([channel, members]): Sample => [{ channel }, members]),
    ),
    counter('frames_received_total', 'Frames received, by message type (invalid: not a valid message).', ['type'], () =>
      byLabel('type', FRAME_IN_TYPES, counters.framesIn),
    ),
    counter('received_bytes_total', 'Bytes of the frames received, by message type.', ['type'], () =>
      byLabel('type', FRAME_IN_TYPES, counters.bytesIn),
    ),
    counter('frames_sent_total', "Frames sent, by type (message: the app's own connection.send).", ['type'], () =>
      byLabel('type', FRAME_OUT_TYPES, counters.framesOut),
    ),
    counter('sent_bytes_total', 'Bytes of the frames sent, by type.', ['type'], () =>
      byLabel('type', FRAME_OUT_TYPES, counters.bytesOut),
    ),
    new ActionDurationHistogram(prefix + 'action_duration_seconds', counters),
    counter('errors_sent_total', "Error frames sent, by code (other: a code of the app's own).", ['code'], () =>
      byLabel('code', ERROR_CODES, counters.errorsSent),
    ),
    counter('closes_total', 'Connections closed, by close code (other: a code not listed).', ['code'], () =>
      byLabel('code', CLOSE_CODE_LABELS, counters.closes),
    ),
    counter('slow_consumers_total', 'Connections closed with 1013 because they read too slowly.', [], () => [
      [{}, counters.slowConsumers],
    ]),
    counter('recoveries_total', 'Subscribes that asked to recover, by whether they did.', ['recovered'], () => [
      [{ recovered: 'true' }, counters.recovered],
      [{ recovered: 'false' }, counters.notRecovered],
    ]),
  ];
  const { broker } = sources;
  if (broker instanceof RedisBroker) metrics.push(...brokerMetrics(broker, counter, gauge));
  return metrics;
}

type Maker = (name: string, help: string, labelNames: string[], read: () => Iterable<Sample>) => RegisteredMetric;

/** The Redis broker's own counts (`RedisBroker.stats`), read when scraped: nothing is counted twice. */
function brokerMetrics(broker: RedisBroker, counter: Maker, gauge: Maker): RegisteredMetric[] {
  return [
    counter('broker_published_total', 'Publications made here that Redis accepted.', [], () => [
      [{}, broker.stats.published],
    ]),
    counter(
      'broker_publish_failures_total',
      'Publications made here that did not reach Redis (dropped: Redis down, behind, or too large; history: a history append failed).',
      ['reason'],
      () => {
        const { dropped, historyFailed } = broker.stats;
        return [
          [{ reason: 'dropped' }, dropped],
          [{ reason: 'history' }, historyFailed],
        ];
      },
    ),
    counter('broker_received_total', 'Publications received from other instances.', [], () => [
      [{}, broker.stats.received],
    ]),
    counter('broker_rejected_total', 'Messages on the app’s Redis channels ignored as invalid.', [], () => [
      [{}, broker.stats.rejected],
    ]),
    counter('broker_outages_total', 'Times the connection to Redis was lost after startup.', [], () => [
      [{}, broker.stats.outages],
    ]),
    gauge(
      'broker_pending_bytes',
      'Bytes of publications sent to Redis and not yet acknowledged: grows while Redis falls behind.',
      [],
      () => [[{}, broker.pendingBytes]],
    ),
  ];
}

function byLabel(name: string, values: readonly string[], counts: Float64Array): Sample[] {
  return values.map((value, index): Sample => [{ [name]: value }, counts[index]]);
}

/**
 * One value of a histogram as prom-client's own give it to the registry: `labels` the sample's own
 * (`le`), `sharedLabels` the series' (in the text, after `le`, as prom-client writes them).
 */
interface HistogramValue {
  value: number;
  labels: Record<string, string | number>;
  sharedLabels: Record<string, string>;
  metricName: string;
}

interface MetricObject<Value> {
  name: string;
  help: string;
  type: string;
  values: Value[];
  aggregator: string;
}

/**
 * The action duration histogram, built from the server's own bucket counts when scraped. Not a
 * prom-client `Histogram`: that one can only be filled one observation at a time (`observe`), and
 * its stored state is private. This object has what a registry reads of a histogram (`name`, `help`,
 * `type`, `getForPromString()` for the text, `get()` for the JSON, `reset()`), in the shapes
 * prom-client 15's `Histogram` gives; test/metrics pins that a registry's text and JSON of it are
 * those of a prom-client `Histogram` with the same observations.
 */
class ActionDurationHistogram implements RegisteredMetric {
  readonly help = 'Time from an action frame to its reply, by action and outcome (completed or error).';
  readonly type = 'histogram';
  readonly aggregator = 'sum';

  constructor(
    readonly name: string,
    private readonly counters: SocketApiMetrics,
  ) {}

  getForPromString(): Promise<MetricObject<HistogramValue>> {
    return Promise.resolve(this.object(this.values()));
  }

  get(): Promise<MetricObject<Omit<HistogramValue, 'sharedLabels'>>> {
    const values = this.values().map(({ value, labels, sharedLabels, metricName }) => ({
      value,
      labels: { ...labels, ...sharedLabels },
      metricName,
    }));
    return Promise.resolve(this.object(values));
  }

  /** The counts are the server's; a registry's `resetMetrics()` leaves them. */
  reset(): void {
    // Nothing of its own to reset.
  }

  private object<Value>(values: Value[]): MetricObject<Value> {
    return { name: this.name, help: this.help, type: this.type, values, aggregator: this.aggregator };
  }

  private values(): HistogramValue[] {
    const values: HistogramValue[] = [];
    const bucket = `${this.name}_bucket`;
    for (const [action, durations] of this.counters.actions) {
      for (const outcome of [0, 1] as const) {
        const sharedLabels = { action, outcome: ACTION_OUTCOMES[outcome] };
        const counts = durations.cumulativeCounts(outcome);
        for (let index = 0; index < ACTION_DURATION_BUCKETS.length; index++) {
          values.push({
            value: counts[index],
            labels: { le: ACTION_DURATION_BUCKETS[index] },
            sharedLabels,
            metricName: bucket,
          });
        }
        const count = counts[ACTION_DURATION_BUCKETS.length];
        values.push({ value: count, labels: { le: '+Inf' }, sharedLabels, metricName: bucket });
        values.push({ value: durations.sum(outcome), labels: {}, sharedLabels, metricName: `${this.name}_sum` });
        values.push({ value: count, labels: {}, sharedLabels, metricName: `${this.name}_count` });
      }
    }
    return values;
  }
}
