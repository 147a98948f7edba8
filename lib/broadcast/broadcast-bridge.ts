import { Inject, Injectable, Logger, Optional, type OnModuleInit } from '@nestjs/common';
import { HttpAdapterHost } from '@nestjs/core';
import type { AbstractHttpAdapter } from '@nestjs/core';
import { describeException } from '../gateway/error-log-limiter.js';
import type { SocketConnection } from '../gateway/socket-connection.js';
import type { SocketApiModuleOptions } from '../interfaces/socket-api-options.interface.js';
import { SocketApiValidationException } from '../protocol/errors.js';
import { SocketApiRegistry } from '../registry/socket-api.registry.js';
import { SOCKET_API_OPTIONS } from '../socket-api.module-definition.js';
import { bearerTokenMatches, isBroadcastAllowed } from './broadcast-access.js';

export const DEFAULT_BROADCAST_PATH = '/_broadcast';
/** Largest body read when no body parser has read it already. */
const MAX_RAW_BODY = 1024 * 1024;

/** What the endpoint needs of a request, whatever the HTTP platform. */
export interface BroadcastRequest {
  remoteAddress: string | undefined;
  authorization: string | string[] | undefined;
  /** The parsed JSON body, or the reason it could not be read. */
  body: { value: unknown } | { error: string };
}

export interface BroadcastResponse {
  status: number;
  body: Record<string, unknown>;
}

type Method = (...args: unknown[]) => unknown;

/**
 * SocketAPI's HTTP bridge, on when `forRoot({ broadcast: {...} })` is given: `POST /_broadcast`
 * with `{"channel": name, "data": {...}}` runs the channel method with `data` as its parameters
 * (validated as a subscribe's `data` is) and publishes its return value, as calling the method from
 * server code does: to this instance's subscribers and, through the broker, to every instance's.
 *
 * The route is registered while modules initialize, after Nest's body parsers and before its
 * "not found" handler (a route added later would never be reached on Express).
 */
@Injectable()
export class BroadcastBridge implements OnModuleInit {
  private readonly logger = new Logger('SocketApiBroadcast');

  constructor(
    @Inject(SOCKET_API_OPTIONS) private readonly options: SocketApiModuleOptions,
    private readonly registry: SocketApiRegistry,
    @Optional() private readonly adapterHost?: HttpAdapterHost,
  ) {}

  onModuleInit(): void {
    const { broadcast } = this.options;
    if (!broadcast) return;
    const adapter = this.adapterHost?.httpAdapter;
    if (!adapter) {
      this.logger.warn('No HTTP server (application context): the broadcast endpoint is not served.');
      return;
    }
    const path = broadcast.path ?? DEFAULT_BROADCAST_PATH;
    adapter.post(path, (request: unknown, response: unknown) => void this.serve(adapter, request, response));
    if (adapter.getType() === 'express') {
      // A body Express's JSON parser rejects never reaches the route: answer it here, as JSON.
      adapter.use(path, (error: unknown, _request: unknown, response: unknown, next: (error?: unknown) => void) => {
        const parserError = error as { type?: string; status?: number; message?: string } | undefined;
        if (!parserError || typeof parserError.type !== 'string' || !parserError.type.startsWith('entity.')) {
          return next(error);
        }
        adapter.reply(response, { error: `Invalid body: ${parserError.message ?? parserError.type}` }, parserError.status ?? 400);
      });
    }
    this.logger.log(`Broadcast endpoint: POST ${path}`);
  }

  /** The endpoint's answer to one request. */
  async handle(request: BroadcastRequest): Promise<BroadcastResponse> {
    const { allowedHosts, token } = this.options.broadcast ?? {};
    if (!isBroadcastAllowed(request.remoteAddress, allowedHosts)) {
      return { status: 403, body: { error: 'Broadcast endpoint can only be accessed locally.' } };
    }
    if (token !== undefined && !bearerTokenMatches(request.authorization, token)) {
      return { status: 401, body: { error: 'Unauthorized.' } };
    }
    if ('error' in request.body) return { status: 400, body: { error: request.body.error } };
    const body = request.body.value;
    if (typeof body !== 'object' || body === null || Array.isArray(body)) {
      return badRequest('The body must be a JSON object: {"channel": "<name>", "data": {...}} (Content-Type: application/json).');
    }
    const { channel: name, data = {} } = body as { channel?: unknown; data?: unknown };
    if (typeof name !== 'string' || name === '') return badRequest('"channel" must be a non-empty string.');
    const channel = this.registry.channels.get(name);
    if (!channel) return { status: 404, body: { error: `Channel '${name}' not found.` } };

    let args: unknown[];
    try {
      // The channel's own binder, as for a subscribe. No connection behind an HTTP request: a
      // @Connection() parameter gets undefined.
      args = await channel.binder.bind(undefined as unknown as SocketConnection, data);
    } catch (error) {
      if (error instanceof SocketApiValidationException) {
        return { status: 400, body: { error: error.message, errors: error.errors } };
      }
      return this.failed(name, error);
    }
    try {
      // The method as the DI instance has it: wrapped so that calling it publishes the result.
      const { instance, methodName } = channel.target;
      await (instance as Record<string, Method>)[methodName].apply(instance, args);
    } catch (error) {
      return this.failed(name, error);
    }
    return { status: 200, body: { status: 'success' } };
  }

  private async serve(adapter: AbstractHttpAdapter, request: unknown, response: unknown): Promise<void> {
    let result: BroadcastResponse;
    try {
      result = await this.handle(await readRequest(request));
    } catch (error) {
      result = this.failed('?', error);
    }
    try {
      adapter.reply(response, result.body, result.status);
    } catch (error) {
      this.logger.error('Could not answer a broadcast request', error instanceof Error ? error.stack : String(error));
    }
  }

  private failed(channel: string, error: unknown): BroadcastResponse {
    // describeException: String() of what was thrown may itself throw, and this runs in a catch.
    this.logger.error(`Broadcast to channel '${channel}' failed`, describeException(error));
    return { status: 500, body: { error: 'Internal server error' } };
  }
}

function badRequest(error: string): BroadcastResponse {
  return { status: 400, body: { error } };
}

interface IncomingLike {
  body?: unknown;
  headers?: Record<string, string | string[] | undefined>;
  socket?: { remoteAddress?: string };
  readable?: boolean;
  on?: (event: string, listener: (...args: never[]) => void) => unknown;
}

/** Express and Fastify requests alike: the peer's address, the header, the JSON body. */
async function readRequest(raw: unknown): Promise<BroadcastRequest> {
  const request = raw as IncomingLike;
  return {
    remoteAddress: request.socket?.remoteAddress,
    authorization: request.headers?.authorization,
    body: await readBody(request),
  };
}

async function readBody(request: IncomingLike): Promise<BroadcastRequest['body']> {
  if (request.body !== undefined) return { value: request.body };
  // No parser took it (no JSON Content-Type): read the stream ourselves.
  if (typeof request.on !== 'function' || !request.readable) return { error: 'The body is missing.' };
  let text: string;
  try {
    text = await readStream(request);
  } catch (error) {
    return { error: error instanceof Error ? error.message : 'The body could not be read.' };
  }
  if (text.trim() === '') return { error: 'The body is missing.' };
  try {
    return { value: JSON.parse(text) };
  } catch {
    return { error: 'The body is not valid JSON.' };
  }
}

function readStream(request: IncomingLike): Promise<string> {
  return new Promise((resolve, reject) => {
    const chunks: Buffer[] = [];
    let size = 0;
    request.on!('data', (chunk: Buffer) => {
      size += chunk.length;
      if (size > MAX_RAW_BODY) reject(new Error(`The body is larger than ${MAX_RAW_BODY} bytes.`));
      else chunks.push(chunk);
    });
    request.on!('end', () => resolve(Buffer.concat(chunks).toString('utf8')));
    request.on!('error', (error: Error) => reject(error));
  });
}
