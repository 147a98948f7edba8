import { Buffer } from 'node:buffer';
import type { IncomingMessage, OutgoingHttpHeaders, Server, ServerResponse } from 'node:http';
import { Inject, Injectable, Logger, Optional, type OnModuleInit } from '@nestjs/common';
import { HttpAdapterHost } from '@nestjs/core';
import { routeOf, serveAhead } from '../network/serve-ahead.js';
import { RESOLVED_SOCKET_API_OPTIONS, type ResolvedSocketApiOptions } from '../options/resolved-options.js';
import { HealthMessage } from './health.messages.js';
import { Readiness, type NotReadyReason } from './readiness.js';

/** The bodies of the answers, made once: a probe polled every second serializes nothing. */
const json = (value: object): Buffer => Buffer.from(JSON.stringify(value), 'utf8');
const OK = json({ status: 'ok' });
const UNAVAILABLE: Record<NotReadyReason, Buffer> = {
  starting: json({ status: 'unavailable', reason: 'starting' }),
  draining: json({ status: 'unavailable', reason: 'draining' }),
  broker: json({ status: 'unavailable', reason: 'broker' }),
};
const METHOD_NOT_ALLOWED = json({ error: 'Method not allowed: use GET or HEAD' });

const HEADERS: OutgoingHttpHeaders = {
  'content-type': 'application/json; charset=utf-8',
  // A probe's answer is of the moment: no proxy or client may keep it.
  'cache-control': 'no-store',
  'x-content-type-options': 'nosniff',
};

/**
 * Serves the liveness and readiness probes when `forRoot({ health })` is given. Ahead of the
 * framework (see `serveAhead`), so that they answer the same on Express and Fastify and the app's
 * guards, middleware and global prefix do not stand in their way. Two exact paths (a query string
 * is ignored), `GET` or `HEAD`, anything else 405; an answer reveals the phase of the server and
 * nothing else.
 */
@Injectable()
export class HealthServer implements OnModuleInit {
  private readonly logger = new Logger('SocketApiHealth');

  constructor(
    @Inject(RESOLVED_SOCKET_API_OPTIONS) private readonly options: ResolvedSocketApiOptions,
    private readonly readiness: Readiness,
    @Optional() private readonly adapterHost?: HttpAdapterHost,
  ) {}

  onModuleInit(): void {
    const { health } = this.options;
    if (!health) return;
    const server = this.adapterHost?.httpAdapter?.getHttpServer() as Server | undefined;
    if (!server) {
      this.logger.warn(HealthMessage.noHttpServer);
      return;
    }
    const { livePath, readyPath } = health;
    const isOurs = (request: IncomingMessage) => {
      const route = routeOf(request.url);
      return route === livePath || route === readyPath;
    };
    serveAhead(server, this.adapterHost?.httpAdapter, isOurs, (request, response) => {
      const ready = routeOf(request.url) === readyPath;
      this.serve(request, response, ready);
    });
    this.logger.log(HealthMessage.served(livePath, readyPath));
  }

  private serve(request: IncomingMessage, response: ServerResponse, ready: boolean): void {
    let status = 200;
    let body = OK;
    let headers = HEADERS;
    if (request.method !== 'GET' && request.method !== 'HEAD') {
      status = 405;
      body = METHOD_NOT_ALLOWED;
      headers = { ...HEADERS, allow: 'GET, HEAD' };
    } else if (ready) {
      const verdict = this.readiness.check();
      if (!verdict.ready) {
        status = 503;
        body = UNAVAILABLE[verdict.reason];
      }
    }
    if (response.headersSent || response.destroyed) return;
    response.writeHead(status, { ...headers, 'content-length': body.length });
    // A body sent with a request would otherwise be left unread on a kept-alive connection.
    request.resume();
    response.end(request.method === 'HEAD' ? undefined : body);
  }
}
