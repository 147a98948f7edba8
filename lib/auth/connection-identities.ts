import { Inject, Injectable, Logger } from '@nestjs/common';
import { CloseCode } from '../gateway/close-codes.js';
import type { SocketConnection } from '../gateway/socket-connection.js';
import type { SocketApiModuleOptions } from '../interfaces/socket-api-options.interface.js';
import type { SocketAuthenticator, SocketIdentity } from '../interfaces/socket-authenticator.interface.js';
import { ErrorCode } from '../protocol/error-codes.js';
import { errorFrame } from '../protocol/server-messages.js';
import { SocketApiRegistry } from '../registry/socket-api.registry.js';
import { SOCKET_API_OPTIONS } from '../socket-api.module-definition.js';

/** Longest delay a Node timer takes; later expiries are checked again when it fires. */
const MAX_TIMER_MS = 2 ** 31 - 1;

export interface Renewal {
  /** Channels the connection left because their guards refuse the new identity. */
  dropped: string[];
}

/**
 * The identity of each connection over its life: set at the handshake, renewed in-band, and
 * enforced at expiry (a last `TOKEN_EXPIRED` error frame, then close 1008).
 */
@Injectable()
export class ConnectionIdentities {
  private readonly logger = new Logger('SocketApi');
  private readonly auth?: SocketAuthenticator;

  constructor(
    @Inject(SOCKET_API_OPTIONS) options: SocketApiModuleOptions,
    private readonly registry: SocketApiRegistry,
  ) {
    this.auth = options.auth;
  }

  get canRenew(): boolean {
    return typeof this.auth?.renew === 'function';
  }

  attach(connection: SocketConnection, identity: SocketIdentity | undefined): void {
    connection.identify(identity);
    this.release(connection);
    if (identity?.expiresAt !== undefined) this.scheduleExpiry(connection, identity.expiresAt);
  }

  release(connection: SocketConnection): void {
    clearTimeout(connection.expiryTimer);
    connection.expiryTimer = undefined;
  }

  /** Undefined when the credentials are refused; the connection then keeps its current identity. */
  async renew(connection: SocketConnection, credentials: unknown): Promise<Renewal | undefined> {
    const identity = await this.verify(connection, credentials);
    if (!identity) return undefined;
    this.attach(connection, identity);
    const dropped: string[] = [];
    for (const channel of [...connection.channels]) {
      const handler = this.registry.channels.get(channel.name);
      if (handler && (await handler.admits(connection))) continue;
      channel.removeSubscriber(connection);
      connection.leave(channel);
      dropped.push(channel.name);
    }
    return { dropped };
  }

  private async verify(connection: SocketConnection, credentials: unknown): Promise<SocketIdentity | undefined> {
    try {
      return (await this.auth?.renew?.(credentials, connection)) ?? undefined;
    } catch (exception) {
      this.logger.warn(`Credential renewal failed: ${exception instanceof Error ? exception.message : String(exception)}`);
      return undefined;
    }
  }

  private scheduleExpiry(connection: SocketConnection, expiresAt: number): void {
    const delay = expiresAt - Date.now();
    if (delay <= 0) return this.expire(connection);
    connection.expiryTimer = setTimeout(() => this.onTimer(connection, expiresAt), Math.min(delay, MAX_TIMER_MS));
    connection.expiryTimer.unref();
  }

  private onTimer(connection: SocketConnection, expiresAt: number): void {
    if (Date.now() < expiresAt) this.scheduleExpiry(connection, expiresAt);
    else this.expire(connection);
  }

  private expire(connection: SocketConnection): void {
    connection.sendFrame(errorFrame({ code: ErrorCode.TOKEN_EXPIRED, message: 'Token expired.' }));
    connection.close(CloseCode.POLICY_VIOLATION, 'Token expired');
  }
}
