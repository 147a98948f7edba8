import { randomUUID } from 'node:crypto';
import { Inject, Injectable, Logger } from '@nestjs/common';
import type { UserConnectionStore } from '../interfaces/connection-control.interface.js';
import type { SocketApiBroker } from '../interfaces/socket-api-broker.interface.js';
import { userLimitUnreachable } from '../logging/log.messages.js';
import { ThrottledWarning } from '../logging/throttled-warning.js';
import { RESOLVED_SOCKET_API_OPTIONS, type ResolvedSocketApiOptions } from '../options/resolved-options.js';
import { SOCKET_API_BROKER } from '../socket-api.constants.js';
import type { WsConnection } from './ws-connection.js';

/** What this instance knows of one open connection of a user. */
export interface UserEntry {
  readonly connectedAt: number;
  /** Its entry in the shared store (`maxConnectionsPerUser` with a broker that has one). */
  readonly reservation?: string;
}

/** A handshake admitted by `maxConnectionsPerUser`, its slot held until it opens or fails. */
interface Reservation {
  readonly userId: string;
  readonly timer: NodeJS.Timeout;
}

/**
 * This instance's open connections by user (the identity's `subject`), for `SocketApiConnections`, and
 * the per-user limit (`maxConnectionsPerUser`) at the handshake: counted by the broker's shared store
 * (Redis: over every instance), else here. A handshake holds its slot from its admission until its
 * socket opens, or `handshakeTimeoutMs` at most. Only connections with a subject are indexed; only
 * their opening, renewal and closing touch it, never a frame.
 */
@Injectable()
export class UserConnections {
  private readonly logger = new Logger('SocketApi');
  private readonly byUser = new Map<string, Map<WsConnection, UserEntry>>();
  /** Admitted handshakes not opened yet, by reservation id, and their count per user. */
  private readonly reservations = new Map<string, Reservation>();
  private readonly reservedPerUser = new Map<string, number>();
  private readonly store?: UserConnectionStore;
  private readonly max: number;
  private readonly unreachable: ThrottledWarning;

  constructor(
    @Inject(RESOLVED_SOCKET_API_OPTIONS) private readonly options: ResolvedSocketApiOptions,
    @Inject(SOCKET_API_BROKER) broker: SocketApiBroker,
  ) {
    this.max = options.maxConnectionsPerUser;
    this.store = Number.isFinite(this.max) ? broker.users : undefined;
    this.unreachable = new ThrottledWarning(this.logger, options.errorLogIntervalMs);
  }

  /** Whether handshakes of users are counted (`maxConnectionsPerUser`). */
  get limited(): boolean {
    return Number.isFinite(this.max);
  }

  /** This instance's open connections of `userId`. */
  of(userId: string): ReadonlyMap<WsConnection, UserEntry> | undefined {
    return this.byUser.get(userId);
  }

  /**
   * Takes a slot of `userId` for a handshake: its reservation id, or undefined when the user has
   * `maxConnectionsPerUser` connections already. When the shared store cannot be reached within
   * `controlTimeoutMs`, this instance's own count decides (fail-open: an outage of Redis does not
   * lock every user out), and the entry is written by the store's next refresh.
   */
  async reserve(userId: string): Promise<string | undefined> {
    const reservation = randomUUID();
    if (this.store) {
      try {
        if (!(await this.withinTimeout(this.store.acquire(userId, reservation, this.max)))) return undefined;
        this.hold(userId, reservation);
        return reservation;
      } catch (error) {
        this.unreachable.report((count) => userLimitUnreachable(count, error));
        if (this.localCount(userId) >= this.max) return undefined;
        this.store.add(userId, reservation);
        this.hold(userId, reservation);
        return reservation;
      }
    }
    if (this.localCount(userId) >= this.max) return undefined;
    this.hold(userId, reservation);
    return reservation;
  }

  /** A reserved handshake that did not become a connection: its slot is free. */
  cancel(reservation: string): void {
    const held = this.reservations.get(reservation);
    if (!held) return;
    this.unhold(reservation, held);
    this.store?.release(held.userId, reservation);
  }

  /** A connection opened, with the reservation of its handshake if it had one. */
  opened(connection: WsConnection, reservation: string | undefined): void {
    const held = reservation === undefined ? undefined : this.reservations.get(reservation);
    if (held) this.unhold(reservation!, held);
    const userId = connection.subject;
    if (userId === undefined) {
      if (held) this.store?.release(held.userId, reservation!);
      return;
    }
    this.index(userId, connection, { connectedAt: Date.now(), reservation: held && reservation });
  }

  /** A renewal changed the connection's subject: it now counts for its new user (not checked against the limit). */
  moved(connection: WsConnection, before: string | undefined): void {
    const entry = before === undefined ? undefined : this.unindex(before, connection);
    if (entry?.reservation) this.store?.release(before!, entry.reservation);
    const userId = connection.subject;
    if (userId === undefined) return;
    let reservation: string | undefined;
    if (this.store) {
      reservation = randomUUID();
      this.store.add(userId, reservation);
    }
    this.index(userId, connection, { connectedAt: entry?.connectedAt ?? Date.now(), reservation });
  }

  closed(connection: WsConnection): void {
    const userId = connection.subject;
    if (userId === undefined) return;
    const entry = this.unindex(userId, connection);
    if (entry?.reservation) this.store?.release(userId, entry.reservation);
  }

  private index(userId: string, connection: WsConnection, entry: UserEntry): void {
    let connections = this.byUser.get(userId);
    if (!connections) this.byUser.set(userId, (connections = new Map<WsConnection, UserEntry>()));
    connections.set(connection, entry);
  }

  private unindex(userId: string, connection: WsConnection): UserEntry | undefined {
    const connections = this.byUser.get(userId);
    const entry = connections?.get(connection);
    if (!entry) return undefined;
    connections!.delete(connection);
    if (connections!.size === 0) this.byUser.delete(userId);
    return entry;
  }

  /** This instance's connections of `userId` and its handshakes holding a slot. */
  private localCount(userId: string): number {
    return (this.byUser.get(userId)?.size ?? 0) + (this.reservedPerUser.get(userId) ?? 0);
  }

  private hold(userId: string, reservation: string): void {
    // ws may drop an upgrade after `verifyClient` accepted it (the client left): the slot is freed anyway.
    const timer = setTimeout(() => this.cancel(reservation), this.options.handshakeTimeoutMs).unref();
    this.reservations.set(reservation, { userId, timer });
    this.reservedPerUser.set(userId, (this.reservedPerUser.get(userId) ?? 0) + 1);
  }

  private unhold(reservation: string, held: Reservation): void {
    clearTimeout(held.timer);
    this.reservations.delete(reservation);
    const count = (this.reservedPerUser.get(held.userId) ?? 1) - 1;
    if (count > 0) this.reservedPerUser.set(held.userId, count);
    else this.reservedPerUser.delete(held.userId);
  }

  private withinTimeout<T>(pending: Promise<T>): Promise<T> {
    let timer: NodeJS.Timeout | undefined;
    const timeout = new Promise<never>((_, reject) => {
      timer = setTimeout(
        () => reject(new Error(`no answer within controlTimeoutMs (${this.options.controlTimeoutMs} ms)`)),
        this.options.controlTimeoutMs,
      );
    });
    return Promise.race([pending, timeout]).finally(() => clearTimeout(timer));
  }
}
