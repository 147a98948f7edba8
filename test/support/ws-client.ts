import type { Socket } from 'node:net';
import WebSocket from 'ws';
import { Wakeups, type WaitOptions } from './wait.js';

export interface ClientOptions {
  headers?: Record<string, string>;
  protocols?: string[];
  /** Answer the server's pings (as every WebSocket client does); false plays a dead peer. */
  autoPong?: boolean;
  /** The local address to connect from, e.g. `127.0.0.2` to play a second client machine over loopback. */
  localAddress?: string;
}

/** A plain `ws` client that queues every frame it receives, for tests that need more than superwstest. */
export class TestClient {
  readonly frames: unknown[] = [];
  private readonly wakeups = new Wakeups();
  closeCode?: number;
  /**
   * Ping frames received. Counted from the 'open' event on: a frame that came in the same read as the
   * server's 101 is emitted before the code awaiting `open()` runs, so a listener added then misses it.
   */
  pings = 0;

  private constructor(readonly socket: WebSocket) {
    socket.on('message', (data, isBinary) => {
      // ws gives a Buffer (binaryType 'nodebuffer', the default).
      this.frames.push(isBinary ? data : JSON.parse((data as Buffer).toString()));
      this.wakeups.wake();
    });
    socket.on('close', (code) => {
      this.closeCode = code;
      this.wakeups.wake();
    });
    socket.on('ping', () => this.pings++);
  }

  static open(url: string, options: ClientOptions = {}): Promise<TestClient> {
    return new Promise((resolve, reject) => {
      const socket = new WebSocket(url, options.protocols, {
        headers: options.headers,
        autoPong: options.autoPong ?? true,
        localAddress: options.localAddress,
      });
      socket.once('open', () => resolve(new TestClient(socket)));
      socket.once('error', reject);
    });
  }

  send(message: unknown): void {
    this.socket.send(typeof message === 'string' ? message : JSON.stringify(message));
  }

  /** Sends the messages in one write: on loopback the server reads them together, as one chunk. */
  sendTogether(messages: unknown[]): void {
    const tcp = (this.socket as unknown as { _socket: Socket })._socket;
    tcp.cork();
    for (const message of messages) this.send(message);
    tcp.uncork();
  }

  /**
   * Resolves with the next `count` frames (in order), failing after `timeoutMs`, or at once when the
   * socket closes before they came (no frame comes after 'close').
   */
  async next(count = 1, timeoutMs = 5000): Promise<unknown[]> {
    await this.waitFor(() => this.frames.length >= count || this.closeCode !== undefined, {
      timeoutMs,
      what: `${count} frame(s)`,
    });
    if (this.frames.length < count) {
      throw new Error(
        `closed with ${this.closeCode} while waiting for ${count} frame(s); have ${JSON.stringify(this.frames)}`,
      );
    }
    return this.frames.splice(0, count);
  }

  async closed(timeoutMs = 5000): Promise<number> {
    await this.waitFor(() => this.closeCode !== undefined, { timeoutMs, what: 'close' });
    return this.closeCode!;
  }

  close(): Promise<number> {
    this.socket.close();
    return this.closed();
  }

  /** Waits until `condition` holds, checked on each frame received and on close. */
  waitFor(condition: () => boolean, options: WaitOptions = {}): Promise<void> {
    return this.wakeups.until(condition, { detail: () => `have ${JSON.stringify(this.frames)}`, ...options });
  }
}

/** Tries a WebSocket upgrade that the server should refuse; resolves with the HTTP status it answered. */
export function refusedUpgrade(url: string, options: ClientOptions = {}): Promise<number> {
  return new Promise((resolve, reject) => {
    const { headers, localAddress } = options;
    const socket = new WebSocket(url, options.protocols, { headers, localAddress });
    socket.once('unexpected-response', (_request, response) => {
      resolve(response.statusCode ?? 0);
      socket.terminate();
    });
    socket.once('open', () => {
      socket.terminate();
      reject(new Error('the upgrade was accepted'));
    });
    socket.once('error', (error) => reject(error));
  });
}
