/**
 * What the module uses of a prom-client `Registry` (typed here, so that an app without prom-client
 * compiles): prom-client's `Registry` and `register` (its global registry) are both one.
 */
export interface PrometheusRegistry {
  /** The exposition format's content type, answered with the scrape. */
  readonly contentType: string;
  /** The whole registry in the text exposition format. */
  metrics(): Promise<string>;
  /** prom-client's metric objects (typed loosely: the module gives it prom-client's own). */
  registerMetric(metric: object): void;
  getSingleMetric(name: string): unknown;
  removeSingleMetric(name: string): void;
}

/**
 * Prometheus metrics of the server (`forRoot({ metrics: true })` or `{ metrics: {...} }`), through
 * the optional peer dependency `prom-client` (`npm i prom-client`). docs/operations.md lists them.
 */
export interface SocketApiMetricsOptions {
  /**
   * Where the metrics are registered: pass prom-client's global `register` (or your own `Registry`)
   * to scrape them beside the app's own metrics, or `@willsoto/nestjs-prometheus`'s. They are taken
   * out of it when the app closes.
   * @default undefined (a registry of the module's own, holding these metrics only)
   */
  registry?: PrometheusRegistry;
  /**
   * Route of the scrape on the app's HTTP server (GET): the whole `registry` in the text format.
   * `false`: not served (the app serves its registry itself).
   * @default '/metrics'
   */
  path?: string | false;
  /**
   * When set, the scrape is answered only for `Authorization: Bearer <token>` (compared in constant
   * time); others get 401.
   * @default undefined (whoever reaches the server may scrape)
   */
  token?: string;
  /**
   * The start of every metric name; another prefix lets two SocketApi apps of one process share a registry.
   * @default 'socketapi_'
   */
  prefix?: string;
}
