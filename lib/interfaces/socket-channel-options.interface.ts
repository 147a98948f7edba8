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
