/**
 * The contracts between the channels of this process and the stores shared by the instances of an app:
 * history (offsets and epochs, for recovery) and presence. Memory implementations serve one instance;
 * a broker may bring shared ones (Redis).
 */

/** The values of a concrete channel's parameters (`rooms/42` of `rooms/:roomId` → `{ roomId: '42' }`). */
export type ChannelParams = Readonly<Record<string, string>>;

/** One concrete channel of a declared one: its name and the values of the declaration's parameters. */
export interface ChannelRoute {
  /** The concrete name (`rooms/42`); the declared name for a channel without parameters. */
  readonly name: string;
  /** `{}` for a channel without parameters. */
  readonly params: ChannelParams;
}

/** Where a client is in a channel's history: the last offset it saw, in which stream. */
export interface StreamPosition {
  readonly offset: number;
  /** Opaque to clients; ≤ 64 chars of [A-Za-z0-9._~-]. */
  readonly epoch: string;
}

/** A history channel's bounds, resolved from its `history` option (milliseconds). */
export interface HistoryLimits {
  /** Entries kept (1 … 100_000). */
  readonly size: number;
  /** The stream expires `ttlMs` after its last publication (≥ 1000). */
  readonly ttlMs: number;
  /** The epoch and top outlive the entries by this much (default max(ttlMs, 3_600_000)). */
  readonly metaTtlMs: number;
}

/** One stored publication: `data` is the JSON text of the `data` field, '' when there is none. */
export interface StoredPublication {
  readonly offset: number;
  readonly data: string;
}

export interface HistoryRead {
  /** The top when read: offset 0 and an empty-stream token when the channel has no stream. */
  readonly top: StreamPosition;
  /** Asked with `since`: whether every publication after it is in `publications`. */
  readonly recovered: boolean;
  /** Offsets since.offset+1 … top.offset, ascending, when recovered; [] otherwise. */
  readonly publications: readonly StoredPublication[];
}

export interface HistoryStore {
  /**
   * Stores one publication and hands it to every instance's sink (this one's included). Rejects
   * with HistoryUnavailableError when the store cannot be reached; never queues past its bound.
   */
  append(channel: string, data: string, limits: HistoryLimits): Promise<StreamPosition>;
  /** The top, and with `since` the publications after it (a pure check, see recovery-check.ts). */
  read(channel: string, since: StreamPosition | undefined, limits: HistoryLimits): Promise<HistoryRead>;
  /**
   * Keeps an existing meta alive (never creates one): called every metaTtl/3 by a channel stream with
   * members, so that a quiet channel with live subscribers keeps its epoch.
   */
  touch(channel: string, limits: HistoryLimits): Promise<void>;
}

/** One subscriber of a presence channel, as the other subscribers see it. */
export interface PresenceMember {
  /** The connection's `id`. */
  readonly clientId: string;
  /** What the channel's `presence.info` exposes (plain JSON); absent when it exposes nothing. */
  readonly info?: unknown;
}

export type PresenceEvent = 'join' | 'leave';

export interface PresenceStore {
  /** Adds or refreshes; emits `join` through the sink only when the member is new and `announce`. */
  join(channel: string, member: PresenceMember, announce: boolean): Promise<void>;
  /** Removes; emits `leave` only when this call removed it and `announce`. */
  leave(channel: string, clientId: string, announce: boolean): Promise<void>;
  list(channel: string): Promise<PresenceMember[]>;
  /** Leaves of this instance's members (graceful shutdown). */
  close(): Promise<void>;
}

/** What stores and the broker hand to the channels of this process (memory: synchronously; Redis: from pub/sub). */
export interface StreamSink {
  stored(channel: string, data: string, position: StreamPosition): void;
  presence(channel: string, event: PresenceEvent, member: PresenceMember): void;
  /** The store is reachable again and `channel` is listened to again: live streams re-read their top (gap/epoch check). */
  resumed(channel: string): void;
}
