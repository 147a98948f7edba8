import WebSocket from 'ws';

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
  private waiters: Array<() => void> = [];
  closeCode?: number;

  private constructor(readonly socket: WebSocket) {
    socket.on('message', (data, isBinary) => {
      this.frames.push(isBinary ? data : JSON.parse(data.toString()));
      this.wake();
    });
    socket.on('close', (code) => {
      this.closeCode = code;
      this.wake();
    });
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

  /** Resolves with the next `count` frames (in order), failing after `timeoutMs`. */
  async next(count = 1, timeoutMs = 5000): Promise<unknown[]> {
    await this.waitFor(() => this.frames.length >= count, timeoutMs, `${count} frame(s)`);
    return this.frames.splice(0, count);
  }

  async closed(timeoutMs = 5000): Promise<number> {
    await this.waitFor(() => this.closeCode !== undefined, timeoutMs, 'close');
    return this.closeCode!;
  }

  close(): Promise<number> {
    this.socket.close();
    return this.closed();
  }

  private waitFor(done: () => boolean, timeoutMs: number, what: string): Promise<void> {
    return new Promise((resolve, reject) => {
      const timer = setTimeout(() => reject(new Error(`timed out waiting for ${what}; have ${JSON.stringify(this.frames)}`)), timeoutMs);
      const check = () => {
        if (!done()) return;
        clearTimeout(timer);
        this.waiters = this.waiters.filter((waiter) => waiter !== check);
        resolve();
      };
      this.waiters.push(check);
      check();
    });
  }

  private wake(): void {
    for (const waiter of [...this.waiters]) waiter();
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
