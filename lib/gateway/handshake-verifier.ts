import type { IncomingMessage } from 'node:http';
import { HttpException, HttpStatus, Inject, Injectable, Logger } from '@nestjs/common';
import { acceptedIdentity } from '../auth/accepted-identity.js';
import { ConnectGuards, type ConnectGuardRequest } from '../auth/connect-guards.js';
import type { SocketApiModuleOptions } from '../interfaces/socket-api-options.interface.js';
import type { HandshakeRequest, SocketIdentity } from '../interfaces/socket-authenticator.interface.js';
import { DEFAULT_MAX_CONNECTIONS } from '../socket-api.constants.js';
import { SOCKET_API_OPTIONS } from '../socket-api.module-definition.js';
import { parseCookies, parseQuery } from './request-parsing.js';

/** ws's `verifyClient` callback: accept, or refuse with an HTTP status. */
type VerifyCallback = (accept: boolean, status?: number, message?: string) => void;
type Refusal = [status: number, message: string];

/** The upgrade request as Nest guards see it (`switchToHttp().getRequest()`). */
type GuardedRequest = IncomingMessage & ConnectGuardRequest;

/**
 * Decides, before an upgrade request becomes a WebSocket, whether it may: the server is not
 * shutting down, the origin is allowed, the connection limits are not reached, `auth` accepts the
 * client and the connect guards let it in. Refusals are plain HTTP responses (401, 403, 429, 503).
 */
@Injectable()
export class HandshakeVerifier {
  private readonly logger = new Logger('SocketApi');
  private readonly identities = new WeakMap<IncomingMessage, SocketIdentity>();
  /** Open connections and handshakes under way, in all and per remote address. */
  private readonly perAddress = new Map<string, number>();
  private total = 0;
  private accepting = true;
  private readonly maxConnections: number;
  private readonly maxPerAddress: number;

  constructor(
    @Inject(SOCKET_API_OPTIONS) private readonly options: SocketApiModuleOptions,
    private readonly connectGuards: ConnectGuards,
  ) {
    this.maxConnections = options.maxConnections ?? DEFAULT_MAX_CONNECTIONS;
    this.maxPerAddress = options.maxConnectionsPerAddress ?? Infinity;
  }

  stopAccepting(): void {
    this.accepting = false;
  }

  /** ws's `verifyClient`, in its asynchronous form. */
  readonly verify = (info: { origin?: string; req: IncomingMessage }, done: VerifyCallback): void => {
    const refusal = this.refusal(info.req, info.origin);
    if (refusal) return done(false, ...refusal);
    if (!this.options.auth && !this.connectGuards.any) return done(true);
    const address = info.req.socket.remoteAddress ?? '';
    this.count(address, 1);
    void this.authenticate(info.req).then((failure) => {
      this.count(address, -1);
      if (failure) done(false, ...failure);
      else done(true);
    });
  };

  opened(address: string | undefined): void {
    this.count(address ?? '', 1);
  }

  closed(address: string | undefined): void {
    this.count(address ?? '', -1);
  }

  /** The identity that the handshake of this request established, handed over once. */
  takeIdentity(request: IncomingMessage): SocketIdentity | undefined {
    const identity = this.identities.get(request);
    this.identities.delete(request);
    return identity;
  }

  private refusal(request: IncomingMessage, origin: string | undefined): Refusal | undefined {
    if (!this.accepting) return [HttpStatus.SERVICE_UNAVAILABLE, 'Server shutting down'];
    if (!this.originAllowed(origin)) return [HttpStatus.FORBIDDEN, 'Origin not allowed'];
    if (this.total >= this.maxConnections) return [HttpStatus.SERVICE_UNAVAILABLE, 'Too many connections'];
    const address = request.socket.remoteAddress ?? '';
    if ((this.perAddress.get(address) ?? 0) >= this.maxPerAddress) {
      return [HttpStatus.TOO_MANY_REQUESTS, 'Too many connections from this address'];
    }
    return undefined;
  }

  /** Without an `Origin` header (not a browser) a client is not subject to the allow-list. */
  private originAllowed(origin: string | undefined): boolean {
    const allowed = this.options.allowedOrigins;
    if (allowed === undefined) return true;
    if (typeof allowed === 'function') return allowed(origin);
    if (origin === undefined) return true;
    return allowed.some((entry) => (typeof entry === 'string' ? entry === origin : entry.test(origin)));
  }

  private async authenticate(raw: IncomingMessage): Promise<Refusal | undefined> {
    try {
      const request = toHandshakeRequest(raw);
      let identity = acceptedIdentity(await this.options.auth?.authenticate(request), Date.now());
      if (this.options.auth && !identity) return [HttpStatus.UNAUTHORIZED, 'Unauthorized'];
      if (this.connectGuards.any) {
        const guarded = Object.assign(raw as GuardedRequest, { user: identity?.user, query: request.query, cookies: request.cookies });
        if (!(await this.connectGuards.allow(guarded))) return [HttpStatus.FORBIDDEN, 'Forbidden'];
        // A guard may set the identity itself, as Passport's do.
        identity ??= guarded.user === undefined ? undefined : { user: guarded.user };
      }
      if (identity) this.identities.set(raw, identity);
      return undefined;
    } catch (exception) {
      if (exception instanceof HttpException) return [exception.getStatus(), exception.message];
      this.logger.error('Authentication of a WebSocket upgrade failed', exception instanceof Error ? exception.stack : String(exception));
      return [HttpStatus.INTERNAL_SERVER_ERROR, 'Internal Server Error'];
    }
  }

  private count(address: string, delta: number): void {
    this.total += delta;
    const count = (this.perAddress.get(address) ?? 0) + delta;
    if (count > 0) this.perAddress.set(address, count);
    else this.perAddress.delete(address);
  }
}

function toHandshakeRequest(raw: IncomingMessage): HandshakeRequest {
  const cookie = raw.headers.cookie;
  return {
    headers: raw.headers,
    query: parseQuery(raw.url ?? '/'),
    cookies: parseCookies(cookie),
    remoteAddress: raw.socket.remoteAddress,
    raw,
  };
}
