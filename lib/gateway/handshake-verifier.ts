import type { IncomingMessage } from 'node:http';
import { HttpException, HttpStatus, Inject, Injectable, Logger, type OnApplicationShutdown } from '@nestjs/common';
import { acceptedIdentity } from '../auth/accepted-identity.js';
import { ConnectGuards, type ConnectGuardRequest } from '../auth/connect-guards.js';
import { RESOLVED_SOCKET_API_OPTIONS, type ResolvedSocketApiOptions } from '../options/resolved-options.js';
import type { HandshakeRequest, SocketIdentity } from '../interfaces/socket-authenticator.interface.js';
import { ErrorLogLimiter } from '../logging/error-log-limiter.js';
import { ThrottledWarning } from '../logging/throttled-warning.js';
import { addressLimitKey, clientAddressResolver, type ClientAddressResolver } from '../network/client-address.js';
import { originPolicy, originRefusedHint, type OriginPolicy } from '../network/origin-policy.js';
import { parseCookies, parseQuery } from '../network/request-parsing.js';
import { HandshakeRefusal } from '../protocol/socket-api.messages.js';
import { SOCKET_API_METRICS, type SocketApiMetrics } from '../metrics/socket-api-metrics.js';
import { UserConnections } from './user-connections.js';

/** ws's `verifyClient` callback: accept, or refuse with an HTTP status. */
type VerifyCallback = (accept: boolean, status?: number, message?: string) => void;
type Refusal = [status: number, message: string];

/** The upgrade request as Nest guards see it (`switchToHttp().getRequest()`). */
type GuardedRequest = IncomingMessage & ConnectGuardRequest;

/**
 * Decides, before an upgrade request becomes a WebSocket, whether it may: the server is not
 * shutting down, the origin is allowed, the connection limits are not reached, `auth` accepts the
 * client and the connect guards let it in, and its user has a slot (`maxConnectionsPerUser`), within
 * `handshakeTimeoutMs`. Refusals are plain HTTP responses (401, 403, 429, 503).
 */
@Injectable()
export class HandshakeVerifier implements OnApplicationShutdown {
  private readonly logger = new Logger('SocketApi');
  private readonly refusedOrigins: ThrottledWarning;
  private readonly timedOut: ThrottledWarning;
  /** Every upgrade runs `allowedOrigins`, `auth` and the guards: one that fails each time must not flood the log. */
  private readonly errorLog: ErrorLogLimiter;
  private readonly identities = new WeakMap<IncomingMessage, SocketIdentity>();
  /** The slot `maxConnectionsPerUser` gave each handshake, until its connection takes it. */
  private readonly reservations = new WeakMap<IncomingMessage, string>();
  private readonly clientAddresses = new WeakMap<IncomingMessage, string | undefined>();
  /** Handshakes still authenticating, each by the function that refuses it. */
  private readonly underWay = new Set<(refusal: Refusal) => void>();
  /** Open connections and handshakes under way, in all and per client address (see `addressLimitKey`). */
  private readonly perAddress = new Map<string, number>();
  private total = 0;
  private accepting = true;
  private readonly maxConnections: number;
  private readonly maxPerAddress: number;
  private readonly timeoutMs: number;
  private readonly originAllowed: OriginPolicy;
  private readonly resolveClientAddress: ClientAddressResolver;

  constructor(
    @Inject(RESOLVED_SOCKET_API_OPTIONS) private readonly options: ResolvedSocketApiOptions,
    private readonly connectGuards: ConnectGuards,
    @Inject(SOCKET_API_METRICS) private readonly metrics: SocketApiMetrics | null,
    private readonly users: UserConnections,
  ) {
    this.maxConnections = options.maxConnections;
    this.maxPerAddress = options.maxConnectionsPerAddress;
    this.timeoutMs = options.handshakeTimeoutMs;
    this.originAllowed = originPolicy(options.allowedOrigins);
    this.resolveClientAddress = clientAddressResolver(options.trustedProxies);
    const logIntervalMs = options.errorLogIntervalMs;
    this.errorLog = new ErrorLogLimiter(this.logger, logIntervalMs);
    this.refusedOrigins = new ThrottledWarning(this.logger, logIntervalMs);
    this.timedOut = new ThrottledWarning(this.logger, logIntervalMs);
  }

  onApplicationShutdown(): void {
    this.errorLog.flush();
  }

  /** No more connections: new upgrades, and those still authenticating, get HTTP 503. */
  stopAccepting(): void {
    this.accepting = false;
    for (const refuse of this.underWay) refuse([HttpStatus.SERVICE_UNAVAILABLE, HandshakeRefusal.shuttingDown]);
  }

  /** ws's `verifyClient`, in its asynchronous form. */
  readonly verify = (info: { origin?: string; req: IncomingMessage }, verdict: VerifyCallback): void => {
    const done = this.metrics ? this.countRefusals(verdict, this.metrics) : verdict;
    const request = info.req;
    const clientAddress = this.resolveClientAddress(request);
    this.clientAddresses.set(request, clientAddress);
    const refusal = this.refusal(request, info.origin, clientAddress);
    if (refusal) return done(false, ...refusal);
    if (!this.options.auth && !this.connectGuards.any) return done(true);
    this.authenticateInTime(request, addressLimitKey(clientAddress), done);
  };

  /** `done`, counting the refusals by reason (a closure per handshake, with metrics only). */
  private countRefusals(done: VerifyCallback, metrics: SocketApiMetrics): VerifyCallback {
    return (accept, status, message) => {
      if (!accept) metrics.refusedUpgrade(message);
      done(accept, status, message);
    };
  }

  /** The client's address that the handshake of this request resolved (see `trustedProxies`). */
  clientAddressOf(request: IncomingMessage): string | undefined {
    return this.clientAddresses.get(request);
  }

  opened(clientAddress: string | undefined): void {
    this.count(addressLimitKey(clientAddress), 1);
  }

  closed(clientAddress: string | undefined): void {
    this.count(addressLimitKey(clientAddress), -1);
  }

  /** The slot of `maxConnectionsPerUser` that the handshake of this request holds, handed over once. */
  takeReservation(request: IncomingMessage): string | undefined {
    const reservation = this.reservations.get(request);
    this.reservations.delete(request);
    return reservation;
  }

  /** The identity that the handshake of this request established, handed over once. */
  takeIdentity(request: IncomingMessage): SocketIdentity | undefined {
    const identity = this.identities.get(request);
    this.identities.delete(request);
    return identity;
  }

  private refusal(
    request: IncomingMessage,
    origin: string | undefined,
    clientAddress: string | undefined,
  ): Refusal | undefined {
    if (!this.accepting) return [HttpStatus.SERVICE_UNAVAILABLE, HandshakeRefusal.shuttingDown];
    if (!this.isOriginAllowed(origin, request.headers.host))
      return [HttpStatus.FORBIDDEN, HandshakeRefusal.originNotAllowed];
    if (this.total >= this.maxConnections) return [HttpStatus.SERVICE_UNAVAILABLE, HandshakeRefusal.tooManyConnections];
    if ((this.perAddress.get(addressLimitKey(clientAddress)) ?? 0) >= this.maxPerAddress) {
      return [HttpStatus.TOO_MANY_REQUESTS, HandshakeRefusal.tooManyFromAddress];
    }
    return undefined;
  }

  private isOriginAllowed(origin: string | undefined, host: string | undefined): boolean {
    try {
      if (this.originAllowed(origin, host)) return true;
    } catch (exception) {
      // A function in `allowedOrigins` that throws refuses, rather than crash the upgrade listener.
      this.errorLog.error('allowedOrigins threw', exception);
      return false;
    }
    this.refusedOrigins.report((count) => withCount(originRefusedHint(origin, host), count));
    return false;
  }

  /**
   * Runs `auth` and the connect guards with the handshake holding a slot of the limits, and frees it
   * whichever comes first: their verdict, `handshakeTimeoutMs` (HTTP 503), shutdown (HTTP 503), or the
   * client leaving (its socket is destroyed: no one is left to read an answer). A verdict that comes
   * later is ignored, with its identity.
   */
  private authenticateInTime(request: IncomingMessage, limitKey: string, done: VerifyCallback): void {
    this.count(limitKey, 1);
    let over = false;
    const end = (): boolean => {
      if (over) return false;
      over = true;
      clearTimeout(timer);
      request.socket.off('end', clientLeft).off('close', clientLeft);
      this.underWay.delete(refuse);
      this.count(limitKey, -1);
      return true;
    };
    const refuse = (refusal: Refusal): void => {
      if (end()) done(false, ...refusal);
    };
    // The upgrade's socket is half-open (allowHalfOpen): a client that leaves shows as 'end', not 'close'.
    const clientLeft = (): void => {
      if (end()) request.socket.destroy();
    };
    const timer = setTimeout(() => {
      this.timedOut.report((count) =>
        withCount(
          `A WebSocket handshake took longer than handshakeTimeoutMs (${this.timeoutMs} ms): auth or a connect guard did not answer`,
          count,
        ),
      );
      refuse([HttpStatus.SERVICE_UNAVAILABLE, HandshakeRefusal.timedOut]);
    }, this.timeoutMs);
    timer.unref();
    this.underWay.add(refuse);
    request.socket.once('end', clientLeft).once('close', clientLeft);
    void this.authenticate(request).then((failure) => {
      if (!end()) {
        this.identities.delete(request);
        const reservation = this.takeReservation(request);
        if (reservation !== undefined) this.users.cancel(reservation);
        return;
      }
      if (failure) done(false, ...failure);
      else done(true);
    });
  }

  private async authenticate(raw: IncomingMessage): Promise<Refusal | undefined> {
    try {
      const request = toHandshakeRequest(raw, this.clientAddresses.get(raw));
      let identity = acceptedIdentity(await this.options.auth?.authenticate(request), Date.now());
      if (this.options.auth && !identity) return [HttpStatus.UNAUTHORIZED, HandshakeRefusal.unauthorized];
      if (this.connectGuards.any) {
        const guarded = Object.assign(raw as GuardedRequest, {
          user: identity?.user,
          query: request.query,
          cookies: request.cookies,
        });
        if (!(await this.connectGuards.allow(guarded))) return [HttpStatus.FORBIDDEN, HandshakeRefusal.forbidden];
        // A guard may set the identity itself, as Passport's do.
        identity ??= guarded.user === undefined ? undefined : { user: guarded.user };
      }
      if (identity?.subject !== undefined && this.users.limited) {
        const reservation = await this.users.reserve(identity.subject);
        if (reservation === undefined) return [HttpStatus.TOO_MANY_REQUESTS, HandshakeRefusal.tooManyForUser];
        this.reservations.set(raw, reservation);
      }
      if (identity) this.identities.set(raw, identity);
      return undefined;
    } catch (exception) {
      return this.failure(exception);
    }
  }

  /**
   * The refusal for what `auth` or a guard threw: an `HttpException`'s status, else 500 and a log
   * line. Never throws (it runs in a catch, and a throw would end the process): a Proxy's traps or an
   * exception's getters may throw, which makes it a failure of the server like any other.
   */
  private failure(exception: unknown): Refusal {
    try {
      if (exception instanceof HttpException) return [exception.getStatus(), exception.message];
    } catch {
      // Described below, as far as it can be.
    }
    this.errorLog.error('Authentication of a WebSocket upgrade failed', exception);
    return [HttpStatus.INTERNAL_SERVER_ERROR, HandshakeRefusal.internalError];
  }

  private count(address: string, delta: number): void {
    this.total += delta;
    const count = (this.perAddress.get(address) ?? 0) + delta;
    if (count > 0) this.perAddress.set(address, count);
    else this.perAddress.delete(address);
  }
}

function toHandshakeRequest(raw: IncomingMessage, clientAddress: string | undefined): HandshakeRequest {
  const cookie = raw.headers.cookie;
  return {
    headers: raw.headers,
    query: parseQuery(raw.url ?? '/'),
    cookies: parseCookies(cookie),
    remoteAddress: raw.socket.remoteAddress,
    clientAddress,
    raw,
  };
}

/** The latest occurrence, and how many this line stands for when the throttle held some back. */
function withCount(message: string, count: number): string {
  return count > 1 ? `${message} (${count} of these since the last line)` : message;
}
