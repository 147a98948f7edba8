import type { ConnectionEnd } from './close-policy.js';
import {
  startTimer,
  stopTimer,
  type TimerHandle,
  type WebSocketConstructor,
  type WebSocketLike,
  type WsConstructorOptions,
} from './platform.js';

const OPEN = 1;
const CLOSED = 3;
/** After an error on an open socket, how long its close event may take before the socket is taken for closed. */
const CLOSE_AFTER_ERROR_MS = 1000;

/** What a transport tells its owner. Called at most once each for `opened` and `ended`. */
export interface TransportEvents {
  opened(): void;
  message(text: unknown): void;
  ended(end: ConnectionEnd): void;
}

/** How to open the socket: the URL, the subprotocols and (ws only) the headers. */
export interface Handshake {
  url: string;
  protocols: string[];
  headers?: Record<string, string>;
}

/** `ws`'s EventEmitter side, where it shows the HTTP status of a refused handshake. */
interface WsEmitter {
  once(event: 'unexpected-response', listener: (request: unknown, response: { statusCode?: number }) => void): void;
  terminate(): void;
}

/** `ws`'s TCP socket (`net.Socket`), whose writes can be held back and sent together. */
interface CorkableSocket {
  cork(): void;
  uncork(): void;
}

/**
 * `ws`'s socket underneath, where there is one (`_socket`: not documented, hence the checks); none for a
 * browser's or undici's WebSocket, which do their own writing.
 */
function corkableSocketOf(socket: object): CorkableSocket | undefined {
  const raw = (socket as { _socket?: Partial<CorkableSocket> | null })._socket;
  return raw && typeof raw.cork === 'function' && typeof raw.uncork === 'function'
    ? (raw as CorkableSocket)
    : undefined;
}

function isWsEmitter(socket: object): socket is WsEmitter & WebSocketLike {
  return (
    typeof (socket as Partial<WsEmitter>).once === 'function' &&
    typeof (socket as Partial<WsEmitter>).terminate === 'function'
  );
}

/**
 * One WebSocket, from its handshake to its end, reported once. After `abandon()` (a dead connection,
 * `close()`), nothing more is reported: the owner has moved on and must not hear from it again.
 */
export class Transport {
  private readonly socket: WebSocketLike;
  private opened = false;
  private finished = false;
  private status: number | undefined;
  /** The handshake's deadline, then the wait for a close event after an error. */
  private timer: TimerHandle | undefined;
  /** Whether this turn's frames are being held back in `ws`'s socket, to leave in one write. */
  private corked = false;

  constructor(
    WebSocketClass: WebSocketConstructor,
    handshake: Handshake,
    connectTimeoutMs: number,
    private readonly events: TransportEvents,
  ) {
    const protocols = handshake.protocols.length > 0 ? handshake.protocols : undefined;
    const options: WsConstructorOptions | undefined = handshake.headers && { headers: handshake.headers };
    // The third argument is `ws`'s options (headers); a browser's WebSocket ignores it.
    const construct = WebSocketClass as unknown as new (
      url: string,
      protocols?: string[],
      options?: WsConstructorOptions,
    ) => WebSocketLike;
    this.socket = options ? new construct(handshake.url, protocols, options) : new construct(handshake.url, protocols);
    const socket = this.socket;
    if (isWsEmitter(socket)) {
      socket.once('unexpected-response', (_request, response) => {
        this.status = response.statusCode;
        // With a listener, ws leaves the refused handshake to us: end it (an 'error' and a 1006 close follow).
        socket.terminate();
      });
    }
    this.timer = startTimer(() => this.giveUp(), connectTimeoutMs);
    socket.onopen = () => {
      if (this.finished) return;
      stopTimer(this.timer);
      this.opened = true;
      this.events.opened();
    };
    socket.onmessage = (event) => {
      if (!this.finished) this.events.message(event.data);
    };
    socket.onclose = (event) => this.finish(event.code, event.reason);
    // The standard has a close event follow every error, but Node 22's WebSocket (undici) leaves a
    // handshake that failed in CONNECTING with no close event: a failed handshake ends at its error
    // (ws has given the HTTP status before), an open socket at its close event or soon after its error.
    socket.onerror = () => {
      if (!this.opened) this.giveUp();
      else {
        stopTimer(this.timer);
        this.timer = startTimer(() => this.giveUp(), CLOSE_AFTER_ERROR_MS);
      }
    };
  }

  get isOpen(): boolean {
    return !this.finished && this.socket.readyState === OPEN;
  }

  send(text: string): void {
    // `ws` writes every frame with its own system call; the frames sent in one turn (replies arriving
    // together resolve their callers together, who send again) leave in one write instead, at the end of
    // the microtasks queued so far: no frame waits for a timer or for later work.
    if (!this.corked) {
      const raw = corkableSocketOf(this.socket);
      if (raw !== undefined) {
        this.corked = true;
        raw.cork();
        void Promise.resolve().then(() => {
          this.corked = false;
          raw.uncork();
        });
      }
    }
    this.socket.send(text);
  }

  /**
   * Closes the socket (1000), reporting nothing more; resolves when it is closed, cutting it after
   * `waitMs` if the server has not answered the close frame by then.
   */
  close(waitMs: number): Promise<void> {
    this.finished = true;
    // The handshake's deadline (or the wait after an error) would keep a Node process alive for nothing.
    stopTimer(this.timer);
    if (this.socket.readyState === CLOSED) return Promise.resolve();
    return new Promise((resolve) => {
      const timer = startTimer(() => {
        this.abandon();
        resolve();
      }, waitMs);
      this.socket.onclose = () => {
        stopTimer(timer);
        resolve();
      };
      try {
        this.socket.close(1000);
      } catch {
        this.abandon();
      }
    });
  }

  /** Drops the socket without waiting for the server (a dead connection), and reports nothing more. */
  abandon(): void {
    this.finished = true;
    stopTimer(this.timer);
    this.drop();
  }

  /** Ends a socket that failed without a close event (a handshake timed out, an error): reported as 1006. */
  private giveUp(): void {
    this.finish(1006, '');
    this.drop();
  }

  private drop(): void {
    const socket = this.socket;
    if (isWsEmitter(socket)) {
      socket.terminate();
      return;
    }
    try {
      socket.close(1000);
    } catch {
      // Closing a socket still connecting throws in some implementations; it is being dropped anyway.
    }
  }

  private finish(code: number, reason: string): void {
    if (this.finished) return;
    this.finished = true;
    stopTimer(this.timer);
    this.events.ended({ code, reason, opened: this.opened, status: this.status });
  }
}
