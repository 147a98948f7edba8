import { Inject, Injectable, Logger, type OnApplicationShutdown } from '@nestjs/common';
import { FORBIDDEN_MESSAGE } from '@nestjs/core/internal';
import { acceptedIdentity } from '../auth/accepted-identity.js';
import { ConnectGuards } from '../auth/connect-guards.js';
import { Subscriptions } from '../channels/subscriptions.js';
import { RESOLVED_SOCKET_API_OPTIONS, type ResolvedSocketApiOptions } from '../options/resolved-options.js';
import type { SocketAuthenticator, SocketIdentity } from '../interfaces/socket-authenticator.interface.js';
import { ErrorLogLimiter } from '../logging/error-log-limiter.js';
import { CloseCode } from '../protocol/close-codes.js';
import { ErrorCode } from '../protocol/error-codes.js';
import { internalError, mapException } from '../protocol/exception-mapper.js';
import type { ErrorPayload } from '../protocol/messages.js';
import { errorFrame } from '../protocol/server-messages.js';
import { CloseReason, ErrorMessage } from '../protocol/socket-api.messages.js';
import { SocketApiRegistry } from '../registry/socket-api.registry.js';
import { UserConnections } from './user-connections.js';
import type { WsConnection } from './ws-connection.js';

/** Longest delay a Node timer takes; later expiries are checked again when it fires. */
const MAX_TIMER_MS = 2 ** 31 - 1;

/** What the client is told when a renewal is refused; the connection's identity stays as it was. */
const RenewalRefusal = {
  invalidCredentials: { code: ErrorCode.UNAUTHORIZED, message: ErrorMessage.invalidCredentials },
  otherSubject: { code: ErrorCode.FORBIDDEN, message: ErrorMessage.otherSubject },
  guardRefused: { code: ErrorCode.FORBIDDEN, message: FORBIDDEN_MESSAGE },
  inProgress: { code: ErrorCode.RATE_LIMITED, message: ErrorMessage.renewalInProgress },
} as const satisfies Record<string, ErrorPayload>;

/**
 * How a renewal ended: renewed (with the channels left because their guards refuse the new
 * identity), refused (the connection is unchanged), or `undefined` when the connection closed
 * meanwhile (nothing changed, nothing to answer).
 */
export type RenewalOutcome = { dropped: string[] } | { refusal: ErrorPayload } | undefined;

/**
 * The identity of each connection over its life: set at the handshake, renewed in-band by the
 * same rules as connecting (authenticator, subject, connect guards), and enforced at expiry (a
 * last `TOKEN_EXPIRED` error frame, then close 1008).
 */
@Injectable()
export class ConnectionIdentities implements OnApplicationShutdown {
  private readonly logger = new Logger('SocketApi');
  /** A client can send renewals that make a faulty authenticator or guard throw, one per frame. */
  private readonly errorLog: ErrorLogLimiter;
  private readonly auth?: SocketAuthenticator;
  /** Connections with a renewal under way: one at a time each, so that two can never race. */
  private readonly renewing = new WeakSet<WsConnection>();
  private warnedNoSubject = false;

  constructor(
    @Inject(RESOLVED_SOCKET_API_OPTIONS) options: ResolvedSocketApiOptions,
    private readonly registry: SocketApiRegistry,
    private readonly connectGuards: ConnectGuards,
    private readonly subscriptions: Subscriptions,
    private readonly users: UserConnections,
  ) {
    this.auth = options.auth;
    this.errorLog = new ErrorLogLimiter(this.logger, options.errorLogIntervalMs);
  }

  onApplicationShutdown(): void {
    this.errorLog.flush();
  }

  get canRenew(): boolean {
    return typeof this.auth?.renew === 'function';
  }

  /** Sets an identity that {@link acceptedIdentity} let through, and its expiry. */
  attach(connection: WsConnection, identity: SocketIdentity | undefined): void {
    connection.identify(identity);
    this.release(connection);
    if (identity?.expiresAt !== undefined) this.scheduleExpiry(connection, identity.expiresAt);
  }

  release(connection: WsConnection): void {
    clearTimeout(connection.expiryTimer);
    connection.expiryTimer = undefined;
  }

  /**
   * Renews the connection's credentials, unless a renewal of it is already under way. Nothing
   * changes until the new identity has passed every check, and nothing at all if the connection
   * closes before then.
   */
  async renew(connection: WsConnection, credentials: unknown): Promise<RenewalOutcome> {
    if (this.renewing.has(connection)) return { refusal: RenewalRefusal.inProgress };
    this.renewing.add(connection);
    try {
      return await this.admit(connection, credentials);
    } catch (exception) {
      return { refusal: this.failure(exception) };
    } finally {
      this.renewing.delete(connection);
    }
  }

  private async admit(connection: WsConnection, credentials: unknown): Promise<RenewalOutcome> {
    const renewal = await this.auth?.renew?.(credentials, connection);
    if (!connection.isOpen) return undefined;
    const identity = acceptedIdentity(renewal, Date.now());
    if (!identity) return { refusal: RenewalRefusal.invalidCredentials };
    const sameSubject = identity.subject !== undefined && identity.subject === connection.subject;
    if (!sameSubject && renewal?.allowSubjectChange !== true) {
      if (identity.subject === undefined) this.warnNoSubject();
      return { refusal: RenewalRefusal.otherSubject };
    }
    if (this.connectGuards.any) {
      const allowed = await this.connectGuards.allow(this.connectGuards.renewalRequest(connection, identity.user));
      if (!connection.isOpen) return undefined;
      if (!allowed) return { refusal: RenewalRefusal.guardRefused };
    }
    const before = connection.subject;
    this.attach(connection, identity);
    if (connection.subject !== before) this.users.moved(connection, before);
    return { dropped: await this.recheckSubscriptions(connection) };
  }

  /** Leaves the channels whose guards refuse the new identity, given each subscription's own data. */
  private async recheckSubscriptions(connection: WsConnection): Promise<string[]> {
    const dropped: string[] = [];
    for (const [channel, data] of [...this.subscriptions.of(connection)]) {
      const handler = this.registry.resolveChannel(channel.name)?.handler;
      if (handler && (!handler.admits || (await handler.admits(connection, data, channel.route)))) continue;
      if (!connection.isOpen) break;
      // False when it left while its guards ran.
      if (this.subscriptions.unsubscribe(connection, channel)) dropped.push(channel.name);
    }
    return dropped;
  }

  /**
   * What an authenticator or guard threw: its error if meant for clients, else logged, as at connect
   * (500). Never throws: it runs in a catch, and a rejection from here would end the process.
   */
  private failure(exception: unknown): ErrorPayload {
    let payload: ErrorPayload | undefined;
    try {
      payload = mapException(exception, 'guard');
      // Serialized once here, where a failure can still become INTERNAL_ERROR: the router sends the
      // refusal later, outside any catch (a BigInt in an exception's `errors` would throw there).
      if (payload) JSON.stringify(payload);
    } catch {
      payload = undefined; // a Proxy's traps, a throwing getter, a value JSON cannot carry
    }
    if (payload) return payload;
    this.errorLog.error('Renewal of credentials failed', exception);
    return internalError();
  }

  /** Once: the developer's authenticator needs a `subject` for renewals; clients cannot flood the log with it. */
  private warnNoSubject(): void {
    if (this.warnedNoSubject) return;
    this.warnedNoSubject = true;
    this.logger.warn(
      'A renewal was refused because its identity has no `subject`: give identities a subject (the user id) ' +
        'for renewals to keep it, or return `allowSubjectChange: true` from `renew`',
    );
  }

  private scheduleExpiry(connection: WsConnection, expiresAt: number): void {
    const delay = expiresAt - Date.now();
    if (delay <= 0) return this.expire(connection);
    connection.expiryTimer = setTimeout(() => this.onTimer(connection, expiresAt), Math.min(delay, MAX_TIMER_MS));
    connection.expiryTimer.unref();
  }

  private onTimer(connection: WsConnection, expiresAt: number): void {
    if (Date.now() < expiresAt) this.scheduleExpiry(connection, expiresAt);
    else this.expire(connection);
  }

  private expire(connection: WsConnection): void {
    connection.sendFrame(errorFrame({ code: ErrorCode.TOKEN_EXPIRED, message: ErrorMessage.tokenExpired }));
    connection.close(CloseCode.POLICY_VIOLATION, CloseReason.tokenExpired);
  }
}
