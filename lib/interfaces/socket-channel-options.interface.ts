import type { SocketActionOptions } from './socket-action-options.interface.js';

export interface SocketChannelOptions extends SocketActionOptions {
  /**
   * Send the channel method's return value to a client right after it subscribes, as a `data`
   * frame to that client alone (SocketAPI's "initial data"). Default `false`.
   */
  initialData?: boolean;
}
