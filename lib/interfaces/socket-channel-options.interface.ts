import type { SocketActionOptions } from './socket-action-options.interface.js';

export interface SocketChannelOptions extends SocketActionOptions {
  /**
   * Send the channel method's return value to a client right after it subscribes, as a `data`
   * frame to that client alone (SocketAPI's "initial data"). Default `false`.
   */
  initialData?: boolean;
  /**
   * A subscriber whose send buffer is past `maxBufferedBytes`: `'close'` it with 1013 (default), or
   * `'drop'` the channel's data frames it cannot take (counted in `Channel.droppedCount`), for
   * channels where the latest value matters more than every value (prices, positions).
   */
  slowConsumer?: 'close' | 'drop';
}
