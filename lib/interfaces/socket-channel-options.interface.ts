import type { SocketConnection } from '../connection/socket-connection.js';
import type { ChannelParams } from './channel-stream.interface.js';
import type { SocketHandlerOptions } from './socket-action-options.interface.js';
import type { SocketReplyType, SocketReplyValue } from './socket-reply-type.interface.js';

/**
 * An example of a channel, shown in the docs as whole frames: the subscribe message and a
 * publication (typed as the channel's `payload` when it declares one).
 */
export interface SocketChannelExample<Payload = unknown> {
  /** A machine-friendly name (letters, digits, `_`). */
  name?: string;
  /** What the example shows. */
  summary?: string;
  /** The subscribe message's `data`. */
  data?: unknown;
  /** A publication's `data`. */
  payload?: Payload;
}

/** What a channel's `filter` knows of one subscriber. */
export interface ChannelFilterContext<Data = unknown> {
  readonly connection: SocketConnection;
  /** The `data` of the subscribe message that admitted it. */
  readonly data: Data;
  /** The concrete channel's parameters: `{}` for a channel without any. */
  readonly params: ChannelParams;
  /** The concrete channel's name. */
  readonly channel: string;
}

/**
 * Whether one publication reaches one subscriber, from the publication's plain JSON payload (the same
 * value on every instance). Synchronous; a filter that throws counts as false (and is logged).
 */
export type ChannelFilter<Payload = unknown> = (payload: Payload, context: ChannelFilterContext) => boolean;

/** A channel's history: each publication gets an offset, and a client that reconnects can recover what it missed. */
export interface ChannelHistoryOptions {
  /** Publications kept for recovery, per concrete channel (1 … 100 000). */
  size: number;
  /** Milliseconds the history is kept after its last publication (≥ 1000). */
  ttl: number;
  /**
   * Milliseconds the epoch and the top offset outlive the entries (≥ `ttl`): how long a client
   * that saw no publication can still be told it missed nothing.
   * @default max(ttl, 3_600_000)
   */
  metaTtl?: number;
}

/** A channel's presence: who is subscribed, across every instance. */
export interface ChannelPresenceOptions {
  /**
   * What the other subscribers see of a member, besides its `clientId` (plain JSON, at most 4 KiB serialized).
   * @default undefined (only the clientId: nothing about the user)
   */
  info?: (connection: SocketConnection, params: ChannelParams, data: unknown) => unknown;
  /**
   * Send `join` and `leave` frames to the other subscribers.
   * @default false
   */
  joinLeave?: boolean;
}

export interface SocketChannelOptions extends SocketHandlerOptions {
  /**
   * Send the channel method's return value to a client right after it subscribes, as a `data`
   * frame to that client alone (SocketAPI's "initial data").
   * @default false
   */
  initialData?: boolean;
  /**
   * A subscriber whose send buffer is past `maxBufferedBytes`: `'close'` it with 1013, or
   * `'drop'` the channel's data frames it cannot take (counted in `Channel.droppedCount`), for
   * channels where the latest value matters more than every value (prices, positions).
   * @default 'close'
   */
  slowConsumer?: 'close' | 'drop';
  /**
   * Examples of subscriptions and publications, shown in the docs.
   * @default []
   */
  examples?: SocketChannelExample[];
  /**
   * Keep the channel's last publications: each gets an offset, and a client that resubscribes with
   * `recover` gets what it missed, or is told it cannot.
   * @default undefined (no history: no offsets, no recovery)
   */
  history?: ChannelHistoryOptions;
  /**
   * Let subscribers ask who is subscribed (`presence`), and optionally see them join and leave.
   * `true` is `{}`: members with their clientId only, no join/leave frames.
   * @default undefined (no presence)
   */
  presence?: true | ChannelPresenceOptions;
  /**
   * Decides per subscriber whether a publication reaches it (serialization stays once per publication).
   * @default undefined (every subscriber gets every publication)
   */
  filter?: ChannelFilter;
}

/** `@SocketChannel()`'s options with a declared payload type: the compiler holds the method and the examples to it. */
export interface SocketChannelPayloadOptions<
  Payload extends SocketReplyType = SocketReplyType,
> extends SocketChannelOptions {
  /**
   * What the channel publishes (the `data` of its `data` frames: what the method returns), documented
   * with the DTO's schema: a DTO class, `Number`, `String`, `Boolean`, or `[Type]` for an array. The
   * compiler then refuses a method whose return type (or what its Promise or Observable gives) does
   * not fit, and examples whose `payload` does not.
   * @default undefined (publications are documented as any JSON value, and the method may return anything)
   */
  payload: Payload;
  examples?: SocketChannelExample<SocketReplyValue<Payload>>[];
}
