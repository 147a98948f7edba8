import { Buffer } from 'node:buffer';
import type { IncomingMessage, Server, ServerResponse } from 'node:http';
import { Inject, Injectable, Logger, Optional, type OnModuleInit } from '@nestjs/common';
import { HttpAdapterHost } from '@nestjs/core';
import { describeException } from '../logging/describe-exception.js';
import type { SocketConnection } from '../connection/socket-connection.js';
import { bearerTokenMatches } from '../network/bearer-token.js';
import { originPolicy, type OriginPolicy } from '../network/origin-policy.js';
import { routeOf, serveAhead } from '../network/serve-ahead.js';
import { RESOLVED_SOCKET_API_OPTIONS, type ResolvedSocketApiOptions } from '../options/resolved-options.js';
import { HistoryUnavailableError, SocketApiValidationException } from '../protocol/errors.js';
import { isTooDeep } from '../protocol/parse-client-message.js';
import { BroadcastError } from '../protocol/socket-api.messages.js';
import { SocketApiRegistry } from '../registry/socket-api.registry.js';
import { ChannelHub } from '../channels/channel-hub.js';
import { broadcastHostRule, isJsonContentType, type BroadcastHostRule } from './broadcast-access.js';

/** The endpoint's answer: an HTTP status and a JSON body. */
interface BroadcastResponse {
  status: number;
  body: Record<string, unknown>;
}

/**
 * SocketAPI's HTTP bridge, on when `forRoot({ broadcast: {...} })` is given: `POST /_broadcast`
 * with `{"channel": name, "data": {...}}` runs the channel method with `data` as its parameters
 * (validated as a subscribe's `data` is) and publishes its return value, as calling the method from
 * server code does: to this instance's subscribers and, through the broker, to every instance's.
 *
 * It must not be a cross-site request forgery target (a page in a developer's browser posting to
 * localhost): it takes `application/json` only (a cross-site form or simple `fetch` cannot send it
 * without a CORS preflight, which nothing here answers), and refuses a browser's request whose
 * `Origin` the socket would refuse. Who may call (address, `Origin`, token) and what (`Content-Type`,
 * declared length) is checked before a byte of the body is read, and reading stops at
 * `maxBodyBytes`. So the endpoint is served on the HTTP server itself, ahead of the framework
 * (Express, Fastify): their body parsers would read the body before any route or middleware of
 * ours could refuse it. The app's own middleware does not run for this one route.
 */
@Injectable()
export class BroadcastBridge implements OnModuleInit {
  private readonly logger = new Logger('SocketApiBroadcast');
  private readonly hostAllowed: BroadcastHostRule;
  private readonly originAllowed: OriginPolicy;
  private readonly maxBodyBytes: number;
  private readonly maxDepth: number;

  constructor(
    @Inject(RESOLVED_SOCKET_API_OPTIONS) private readonly options: ResolvedSocketApiOptions,
    private readonly registry: SocketApiRegistry,
    private readonly hub: ChannelHub,
    @Optional() private readonly adapterHost?: HttpAdapterHost,
  ) {
    this.hostAllowed = broadcastHostRule(options.broadcast?.allowedHosts);
    this.originAllowed = originPolicy(options.allowedOrigins, { ownOrigin: false });
    // Validated with the options; only read when the bridge is served, that is with `broadcast`.
    this.maxBodyBytes = options.broadcast?.maxBodyBytes ?? 0;
    this.maxDepth = options.maxDepth;
  }

  onModuleInit(): void {
    const { broadcast } = this.options;
    if (!broadcast) return;
    const server = this.adapterHost?.httpAdapter?.getHttpServer() as Server | undefined;
    if (!server) {
      this.logger.warn('No HTTP server (application context): the broadcast endpoint is not served.');
      return;
    }
    const path = broadcast.path;
    const isOurs = (request: IncomingMessage) => request.method === 'POST' && routeOf(request.url) === path;
    serveAhead(
      server,
      this.adapterHost?.httpAdapter,
      isOurs,
      (request, response, awaitsContinue) => void this.serve(request, response, awaitsContinue),
    );
    this.logger.log(`Broadcast endpoint: POST ${path}`);
    if (broadcast.token === undefined) {
      this.logger.warn(
        `The broadcast endpoint POST ${path} has no token: any process on this machine` +
          `${broadcast.allowedHosts?.length ? ' or on allowedHosts' : ''} can publish on every channel. ` +
          'Set broadcast.token to require `Authorization: Bearer <token>`.',
      );
    }
  }

  private async serve(request: IncomingMessage, response: ServerResponse, awaitsContinue: boolean): Promise<void> {
    let result: BroadcastResponse;
    // Answered before the whole body was read (refused, too large, cut short): the connection is
    // closed after the answer, rather than read on to drop a body that may be large.
    let closeAfter = true;
    try {
      const refusal = this.refusal(request);
      if (refusal) {
        result = refusal;
      } else {
        if (awaitsContinue) response.writeContinue();
        const body = await readBody(request, this.maxBodyBytes);
        closeAfter = typeof body !== 'string';
        result = typeof body === 'string' ? await this.broadcast(body) : body;
      }
    } catch (error) {
      result = this.failed('?', error);
    }
    try {
      reply(response, result, closeAfter);
    } catch (error) {
      this.logger.error('Could not answer a broadcast request', describeException(error));
    }
  }

  /** Why a request is refused from its peer address and headers alone, if it is. */
  private refusal(request: IncomingMessage): BroadcastResponse | undefined {
    const { headers } = request;
    if (!this.hostAllowed(request.socket.remoteAddress)) {
      return { status: 403, body: { error: BroadcastError.notLocal } };
    }
    if (!this.originAllowed(headers.origin, headers.host)) {
      return { status: 403, body: { error: BroadcastError.originNotAllowed } };
    }
    const { token } = this.options.broadcast ?? {};
    if (token !== undefined && !bearerTokenMatches(headers.authorization, token)) {
      return { status: 401, body: { error: BroadcastError.unauthorized } };
    }
    if (!isJsonContentType(headers['content-type'])) {
      return { status: 415, body: { error: BroadcastError.notJsonContentType } };
    }
    const declared = Number(headers['content-length']);
    if (declared > this.maxBodyBytes) return tooLarge(this.maxBodyBytes);
    return undefined;
  }

  /** Runs the channel method for a body that passed every check but its content. */
  private async broadcast(text: string): Promise<BroadcastResponse> {
    let body: unknown;
    try {
      body = text.trim() === '' ? undefined : JSON.parse(text);
    } catch {
      return badRequest(BroadcastError.invalidJson);
    }
    if (typeof body !== 'object' || body === null || Array.isArray(body)) {
      return badRequest(BroadcastError.notAnObject);
    }
    const { channel: name, data = {} } = body as { channel?: unknown; data?: unknown };
    if (typeof name !== 'string' || name === '') return badRequest(BroadcastError.channelRequired);
    // As on the socket: the caller's error (400), before the DTO reader or the serializer overflows
    // its stack (a 500 and a stack in the log for each such request).
    if (isTooDeep(data, this.maxDepth)) {
      return badRequest(BroadcastError.nestedTooDeeply(this.maxDepth));
    }
    // A concrete name of a pattern too (`rooms/42`): the method gets its parameters, as on a subscribe.
    const route = this.registry.resolveChannel(name);
    if (!route) return { status: 404, body: { error: BroadcastError.channelNotFound(name) } };
    const channel = route.handler;

    let args: unknown[];
    try {
      // The channel's own binder, as for a subscribe. No connection behind an HTTP request: a
      // @Connection() parameter gets undefined.
      args = await channel.binder.bind(undefined as unknown as SocketConnection, data, route.params);
    } catch (error) {
      if (error instanceof SocketApiValidationException) {
        return { status: 400, body: { error: error.message, errors: error.errors } };
      }
      return this.failed(name, error);
    }
    try {
      // The method itself, then the publication awaited: a history channel's is stored first, and a
      // store that cannot be reached is the caller's 503, not a 200 for a publication that never went out.
      const { instance, method } = channel.target;
      const value: unknown = await method.apply(instance, args);
      await (this.hub.channelOf(channel.target.name, route).publish(value) as void | Promise<unknown>);
    } catch (error) {
      if (error instanceof HistoryUnavailableError) {
        return { status: 503, body: { error: BroadcastError.historyUnavailable } };
      }
      return this.failed(name, error);
    }
    return { status: 200, body: { status: 'success' } };
  }

  private failed(channel: string, error: unknown): BroadcastResponse {
    // describeException: String() of what was thrown may itself throw, and this runs in a catch.
    this.logger.error(`Broadcast to channel '${channel}' failed`, describeException(error));
    return { status: 500, body: { error: BroadcastError.internalError } };
  }
}

/** The body as text, or a 413 as soon as it grows past `maxBytes` (the rest is not read). */
function readBody(request: IncomingMessage, maxBytes: number): Promise<string | BroadcastResponse> {
  return new Promise((resolve) => {
    const chunks: Buffer[] = [];
    let size = 0;
    const done = (result: string | BroadcastResponse) => {
      request.off('data', onData);
      request.off('end', onEnd);
      request.off('close', onClose);
      request.off('error', onClose);
      resolve(result);
    };
    const onData = (chunk: Buffer) => {
      size += chunk.length;
      if (size > maxBytes) {
        request.pause();
        done(tooLarge(maxBytes));
      } else {
        chunks.push(chunk);
      }
    };
    const onEnd = () => done(Buffer.concat(chunks, size).toString('utf8'));
    const onClose = () => done(badRequest(BroadcastError.endedEarly));
    request.on('data', onData);
    request.once('end', onEnd);
    request.once('close', onClose);
    request.once('error', onClose);
  });
}

function reply(response: ServerResponse, { status, body }: BroadcastResponse, closeAfter: boolean): void {
  if (response.headersSent || response.destroyed) return;
  const json = JSON.stringify(body);
  response.writeHead(status, {
    'content-type': 'application/json; charset=utf-8',
    'content-length': Buffer.byteLength(json),
    ...(closeAfter ? { connection: 'close' } : {}),
  });
  response.end(json);
}

function badRequest(error: string): BroadcastResponse {
  return { status: 400, body: { error } };
}

function tooLarge(maxBytes: number): BroadcastResponse {
  return { status: 413, body: { error: BroadcastError.tooLarge(maxBytes) } };
}
