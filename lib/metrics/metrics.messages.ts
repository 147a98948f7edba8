/**
 * What the metrics log and what their route answers. Log lines may be reworded between versions; the
 * bodies of the HTTP answers are for people reading them, not for programs to match.
 */
export const MetricsMessage = {
  feature: 'Metrics (the `metrics` option)',
  alreadyRegistered: (name: string) =>
    `nestjs-socketapi: the metrics registry already holds a metric named '${name}'. Another SocketApi app ` +
    'of this process registered it on the same registry and is still running: give one of them another ' +
    '`metrics.prefix`, or its own registry.',
  noHttpServer: 'No HTTP server (application context): the metrics are kept but not served.',
  served: (path: string) => `Prometheus metrics at ${path}`,
  methodNotAllowed: 'Method not allowed: use GET or HEAD\n',
  unauthorized: 'The metrics need `Authorization: Bearer <metrics.token>`\n',
  failed: 'Could not answer a metrics scrape',
  internalError: 'Internal error\n',
} as const;
