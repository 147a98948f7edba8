/**
 * What a broker offers `SocketApiConnections` to act on a user's connections on the other instances
 * (see docs/control.md). Absent on a broker: the app is one instance, and control is local.
 */
export interface ControlTransport {
  /** This instance's id among the app's instances (what `listUser` reports as `instance`). */
  readonly instanceId: string;
  /**
   * Starts handing the other instances' control messages to `receive` (never this instance's own).
   * What arrives was authenticated by the transport when it can (see docs/control.md, "Security"),
   * but its content is still checked by the caller.
   */
  listen(receive: (message: Buffer) => void): void;
  /**
   * Sends `message` to every other instance (`to` undefined) or to one. Resolves with how many
   * instances received it (0 when none listens); rejects when it cannot be sent (the broker is down).
   */
  send(message: Buffer, to?: string): Promise<number>;
}

/**
 * The connections of each user over all instances, for `maxConnectionsPerUser`. Entries of a
 * crashed instance expire by themselves (`ttlMs` after its last refresh).
 */
export interface UserConnectionStore {
  /** How long an entry outlives its instance's last refresh. */
  readonly ttlMs: number;
  /**
   * Counts `connectionId` for `userId` when the user has fewer than `max` connections (expired ones
   * swept first); resolves false when it has `max` already. Rejects when the store cannot be reached.
   */
  acquire(userId: string, connectionId: string, max: number): Promise<boolean>;
  /** Counts `connectionId` for `userId` whatever the count (kept here and written at the next refresh if need be). */
  add(userId: string, connectionId: string): void;
  /** `connectionId` is gone. */
  release(userId: string, connectionId: string): void;
}

/** One connection of a user, as `SocketApiConnections.listUser` reports it. */
export interface UserConnectionInfo {
  /** The connection's id (`connection.id`). */
  readonly id: string;
  /** The instance that holds it (its broker's id; `'local'` without a broker that carries control). */
  readonly instance: string;
  /** When it opened (ms since the epoch, the instance's clock). */
  readonly connectedAt: number;
  /** The channels it is subscribed to (concrete names). */
  readonly subscriptions: string[];
  /** The client's address as the server resolved it (see `trustedProxies`). */
  readonly clientAddress?: string;
  /** When its credentials expire (ms since the epoch), if they do. */
  readonly expiresAt?: number;
}
