/**
 * What the client does after a connection ends, from how it ended (PROTOCOL.md, "Close codes" and
 * "Handshake refusals"):
 * - `retry`: reconnect with backoff (a drop, a restart, an overloaded or shutting-down server);
 * - `reauthenticate`: reconnect with a token fetched anew (expired or refused credentials);
 * - `terminal`: stop (the server's policy refuses this client; retrying would be refused again).
 */
export type CloseVerdict = 'retry' | 'reauthenticate' | 'terminal';

/** How a connection (or an attempt at one) ended. */
export interface ConnectionEnd {
  code: number;
  reason: string;
  /** Whether the socket had opened; a handshake that failed never did. */
  opened: boolean;
  /** The HTTP status of a refused handshake, where the platform shows it (`ws`); browsers never do. */
  status?: number;
}

/** The reason of the 1008 close that follows `TOKEN_EXPIRED`. */
const TOKEN_EXPIRED_REASON = 'Token expired';

export function closeVerdict(end: ConnectionEnd): CloseVerdict {
  if (end.status !== undefined) return statusVerdict(end.status);
  switch (end.code) {
    case 1008:
      // Rate-limit abuse and a refused origin are the server's policy against this client: retrying
      // would be refused again (and hammer it). An expired token is the exception.
      return end.reason === TOKEN_EXPIRED_REASON ? 'reauthenticate' : 'terminal';
    case 1002: // protocol error
    case 1003: // unsupported data
    case 1007: // invalid frame payload: this client and the server do not speak the same protocol
      return 'terminal';
    default:
      // 1000 (idle timeout), 1001 (shutting down), 1006 (cut; also a browser's refused handshake,
      // which the caller tells apart), 1009 (a frame past the server's maxPayload: that action fails
      // as in flight and is never sent again), 1011, 1012, 1013 (slow consumer: the buffer is gone with
      // the connection), anything else.
      return 'retry';
  }
}

function statusVerdict(status: number): CloseVerdict {
  if (status === 401 || status === 403) return 'reauthenticate';
  // 429 (too many connections from this address), 503 (full, shutting down, handshake timed out),
  // 500 and the rest: a later attempt may pass.
  return 'retry';
}
