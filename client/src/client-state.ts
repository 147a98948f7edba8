import type { SocketApiError } from './socket-api-error.js';

/**
 * - `connecting`: the first connection is being made;
 * - `open`: connected; actions are sent at once;
 * - `reconnecting`: the connection was lost (or could not be made) and another attempt is scheduled;
 * - `closed`: for good, after `close()` (no `error`) or a terminal failure (its `error`).
 */
export type ConnectionStatus = 'connecting' | 'open' | 'reconnecting' | 'closed';

export interface ClientState {
  status: ConnectionStatus;
  /** The last failure: why the client is reconnecting, or why it stopped. */
  error?: SocketApiError;
  /** Failed attempts in a row, while reconnecting. */
  attempts?: number;
}
