import { Buffer } from 'node:buffer';
import type { IncomingMessage, OutgoingHttpHeaders, Server, ServerResponse } from 'node:http';
import { Inject, Injectable, Logger, Optional, type OnApplicationShutdown, type OnModuleInit } from '@nestjs/common';
import { HttpAdapterHost } from '@nestjs/core';
import { ChannelHub } from '../channels/channel-hub.js';
import type { PrometheusRegistry } from '../interfaces/metrics-options.interface.js';
import type { SocketApiBroker } from '../interfaces/socket-api-broker.interface.js';
import { describeException } from '../logging/describe-exception.js';
import { bearerTokenMatches } from '../network/bearer-token.js';
import { routeOf, serveAhead } from '../network/serve-ahead.js';
import { RESOLVED_SOCKET_API_OPTIONS, type ResolvedSocketApiOptions } from '../options/resolved-options.js';
import { loadOptionalPeer } from '../packaging/optional-peer.js';
import { SOCKET_API_BROKER } from '../socket-api.constants.js';
import { MetricsMessage } from './metrics.messages.js';
import { createPrometheusMetrics, type PromClient, type RegisteredMetric } from './prometheus-metrics.js';
import { SOCKET_API_METRICS, type SocketApiMetrics } from './socket-api-metrics.js';

const TEXT = 'text/plain; charset=utf-8';

/**
 * With `forRoot({ metrics })`: loads prom-client (only then), registers the server's metrics on the
 * app's registry or a new one, and serves `GET {path}` with the whole registry, ahead of the framework
 * (see `serveAhead`: the same route on Express and Fastify, the app's middleware and prefix do not
 * apply). When the app closes, the metrics leave the registry, so that the next app of the process
 * (a test suite's) can register its own there.
 */
@Injectable()
export class MetricsServer implements OnModuleInit, OnApplicationShutdown {
  private readonly logger = new Logger('SocketApiMetrics');
  private registry?: PrometheusRegistry;
  /** Each metric by the name it was registered under (an OpenMetrics registry renames counters as it scrapes them). */
  private registered: Array<[string, RegisteredMetric]> = [];

  constructor(
    @Inject(RESOLVED_SOCKET_API_OPTIONS) private readonly options: ResolvedSocketApiOptions,
    @Inject(SOCKET_API_METRICS) private readonly counters: SocketApiMetrics | null,
    @Inject(SOCKET_API_BROKER) private readonly broker: SocketApiBroker,
    private readonly hub: ChannelHub,
    @Optional() private readonly adapterHost?: HttpAdapterHost,
  ) {}

  async onModuleInit(): Promise<void> {
    const { metrics } = this.options;
    if (!metrics || !this.counters) return;
    const prom = await loadOptionalPeer(
      'prom-client',
      MetricsMessage.feature,
      async () => (await import('prom-client')) as unknown as PromClient,
    );
    const registry = metrics.registry ?? new prom.Registry();
    const made = createPrometheusMetrics(prom, metrics.prefix, {
      counters: this.counters,
      membersByChannel: () => this.hub.membersByDeclaration(),
      broker: this.broker,
    });
    const taken = made.find(({ name }) => registry.getSingleMetric(name) !== undefined);
    if (taken) throw new Error(MetricsMessage.alreadyRegistered(taken.name));
    for (const metric of made) registry.registerMetric(metric);
    this.registry = registry;
    this.registered = made.map((metric) => [metric.name, metric]);
    if (metrics.path !== false) this.serve(registry, metrics.path);
  }

  /** The metrics leave the registry (only those still this app's: another may have replaced them since). */
  onApplicationShutdown(): void {
    const { registry } = this;
    if (!registry) return;
    for (const [name, metric] of this.registered) {
      if (registry.getSingleMetric(name) === metric) registry.removeSingleMetric(name);
    }
    this.registered = [];
  }

  private serve(registry: PrometheusRegistry, path: string): void {
    const server = this.adapterHost?.httpAdapter?.getHttpServer() as Server | undefined;
    if (!server) {
      this.logger.warn(MetricsMessage.noHttpServer);
      return;
    }
    serveAhead(
      server,
      this.adapterHost?.httpAdapter,
      (request) => routeOf(request.url) === path,
      (request, response) => void this.answer(registry, request, response),
    );
    this.logger.log(MetricsMessage.served(path));
  }

  private async answer(
    registry: PrometheusRegistry,
    request: IncomingMessage,
    response: ServerResponse,
  ): Promise<void> {
    // A body sent with a request would otherwise be left unread on a kept-alive connection.
    request.resume();
    if (request.method !== 'GET' && request.method !== 'HEAD') {
      return send(request, response, 405, { allow: 'GET, HEAD' }, MetricsMessage.methodNotAllowed);
    }
    const { token } = this.options.metrics ?? {};
    if (token !== undefined && !bearerTokenMatches(request.headers.authorization, token)) {
      return send(
        request,
        response,
        401,
        { 'www-authenticate': 'Bearer realm="metrics"' },
        MetricsMessage.unauthorized,
      );
    }
    let text: string;
    try {
      text = await registry.metrics();
    } catch (failure) {
      this.logger.error(MetricsMessage.failed, describeException(failure));
      return send(request, response, 500, {}, MetricsMessage.internalError);
    }
    send(request, response, 200, { 'content-type': registry.contentType }, text);
  }
}

function send(
  request: IncomingMessage,
  response: ServerResponse,
  status: number,
  headers: OutgoingHttpHeaders,
  body: string,
): void {
  if (response.headersSent || response.destroyed) return;
  const bytes = Buffer.from(body, 'utf8');
  response.writeHead(status, {
    'content-type': TEXT,
    'cache-control': 'no-store',
    'x-content-type-options': 'nosniff',
    ...headers,
    'content-length': bytes.length,
  });
  response.end(request.method === 'HEAD' ? undefined : bytes);
}
