import type { Json, JsonObject, SocketAuth } from './api-document.js';

export type Status = 'disconnected' | 'connecting' | 'connected';

/** One frame as the log records it. */
export interface LoggedFrame {
  time: number;
  connection: string;
  direction: 'out' | 'in';
  /** Bytes of the frame's UTF-8 text. */
  size: number;
  text: string;
}

/** A request's outcome: the server's frame of the same `id`, and the round trip in milliseconds. */
export interface Answer {
  frame: JsonObject;
  roundTripMs: number;
}

/** Long enough for a slow handler; a request never answered (the socket closed) is dropped at close. */
const ANSWER_TIMEOUT_MS = 30_000;

/**
 * One WebSocket of the page, with its own `id` counter: requests are matched to the server's
 * answer by `id` (PROTOCOL.md), frames of other kinds go to the listeners (channel cards, the log).
 */
export class PageConnection {
  status: Status = 'disconnected';
  private socket: WebSocket | undefined;
  private nextId = 1;
  private readonly pending = new Map<number, (frame: JsonObject | Error) => void>();
  private readonly frameListeners = new Set<(frame: JsonObject, connection: PageConnection) => void>();
  private readonly statusListeners = new Set<(status: Status, detail?: string) => void>();

  constructor(
    readonly name: string,
    private readonly record: (frame: LoggedFrame) => void,
  ) {}

  onFrame(listener: (frame: JsonObject, connection: PageConnection) => void): void {
    this.frameListeners.add(listener);
  }

  onStatus(listener: (status: Status, detail?: string) => void): void {
    this.statusListeners.add(listener);
  }

  connect(url: string, auth: SocketAuth, token: string): void {
    this.close();
    let target = url;
    let protocols: string[] | undefined;
    if (token !== '' && auth.kind === 'query') {
      const parsed = new URL(url);
      parsed.searchParams.set(auth.name, token);
      target = parsed.href;
    } else if (token !== '' && auth.kind === 'subprotocol') {
      protocols = [auth.protocol, token];
    }
    let socket: WebSocket;
    try {
      socket = new WebSocket(target, protocols);
    } catch (error) {
      this.setStatus('disconnected', error instanceof Error ? error.message : String(error));
      return;
    }
    this.socket = socket;
    this.setStatus('connecting');
    socket.addEventListener('open', () => this.setStatus('connected'));
    socket.addEventListener('message', (event: MessageEvent<unknown>) => {
      if (typeof event.data === 'string') this.receive(event.data);
    });
    socket.addEventListener('close', (event) => {
      if (this.socket !== socket) return;
      this.socket = undefined;
      this.failPending('The connection closed');
      this.setStatus('disconnected', `closed (code ${event.code}${event.reason ? `: ${event.reason}` : ''})`);
    });
  }

  close(): void {
    const socket = this.socket;
    if (!socket) return;
    this.socket = undefined;
    socket.close(1000);
    this.failPending('The connection closed');
    this.setStatus('disconnected', 'closed by you');
  }

  /** Sends a frame with a fresh `id` and waits for the answer of that `id`. */
  request(frame: Record<string, Json>): Promise<Answer> {
    const id = this.nextId++;
    const started = performance.now();
    return new Promise((resolve, reject) => {
      const timer = setTimeout(() => settle(new Error('No answer within 30 s')), ANSWER_TIMEOUT_MS);
      const settle = (answer: JsonObject | Error) => {
        clearTimeout(timer);
        this.pending.delete(id);
        if (answer instanceof Error) reject(answer);
        else resolve({ frame: answer, roundTripMs: performance.now() - started });
      };
      this.pending.set(id, settle);
      if (!this.send({ ...frame, id })) settle(new Error(`Connection ${this.name} is not connected`));
    });
  }

  private send(frame: Record<string, Json>): boolean {
    if (this.socket?.readyState !== WebSocket.OPEN) return false;
    const text = JSON.stringify(frame);
    this.socket.send(text);
    this.log('out', text);
    return true;
  }

  private receive(text: string): void {
    this.log('in', text);
    let frame: unknown;
    try {
      frame = JSON.parse(text);
    } catch {
      return;
    }
    if (typeof frame !== 'object' || frame === null || Array.isArray(frame)) return;
    const object = frame as JsonObject;
    const settle = typeof object.id === 'number' ? this.pending.get(object.id) : undefined;
    if (settle && object.type !== 'data') settle(object);
    for (const listener of this.frameListeners) listener(object, this);
  }

  private log(direction: 'in' | 'out', text: string): void {
    const size = new TextEncoder().encode(text).length;
    this.record({ time: Date.now(), connection: this.name, direction, size, text });
  }

  private failPending(reason: string): void {
    for (const settle of [...this.pending.values()]) settle(new Error(reason));
  }

  private setStatus(status: Status, detail?: string): void {
    this.status = status;
    for (const listener of this.statusListeners) listener(status, detail);
  }
}
