import { randomUUID } from 'node:crypto';
import type { IncomingHttpHeaders, IncomingMessage } from 'node:http';
import type { ClassTransformOptions } from 'class-transformer';
import { WebSocket } from 'ws';
import type { Channel, ChannelSubscriber } from '../channels/channel.js';
import { toPlain } from '../protocol/to-plain.js';

const TEXT_FRAME = { binary: false } as const;

/** A raw frame waiting for its turn (see `concurrency`). */
export interface PendingFrame {
  data: Buffer;
  isBinary: boolean;
}

/**
 * One client's WebSocket, as handlers see it through `@Connection()` (and guards through
 * `context.switchToWs().getClient()`).
 */
export class SocketConnection implements ChannelSubscriber {
  /** Unique in this process; random, so it can be shown to other clients. */
  readonly id: string = randomUUID();
  /** Headers of the upgrade request. */
  readonly headers: IncomingHttpHeaders;
  /** Path and query string of the upgrade request. */
  readonly url: string;
  readonly remoteAddress: string | undefined;
  private parsedQuery?: Record<string, string | string[]>;
  private store?: Map<string, unknown>;

  /** @internal Channels this connection is subscribed to. */
  readonly channels = new Set<Channel>();
  /** @internal Messages being handled now. */
  active = 0;
  /** @internal Messages received while `active` was at the concurrency limit. */
  pending?: PendingFrame[];

  /** @internal */
  constructor(
    private readonly socket: WebSocket,
    request: IncomingMessage,
    private readonly serialization?: ClassTransformOptions,
  ) {
    // Only what handlers may read is kept: holding the whole request would cost kilobytes per client.
    this.headers = request.headers;
    this.url = request.url ?? '/';
    this.remoteAddress = request.socket.remoteAddress;
  }

  /** Query parameters of the upgrade request; a repeated key gives an array. */
  get query(): Record<string, string | string[]> {
    this.parsedQuery ??= parseQuery(this.url);
    return this.parsedQuery;
  }

  /** Per-connection storage for the application (user, session, …); gone with the connection. */
  get data(): Map<string, unknown> {
    this.store ??= new Map();
    return this.store;
  }

  get isOpen(): boolean {
    return this.socket.readyState === WebSocket.OPEN;
  }

  /** Names of the channels this connection is subscribed to. */
  get subscriptions(): string[] {
    return [...this.channels].map((channel) => channel.name);
  }

  /** Sends any JSON message to this client; class instances go through class-transformer. */
  send(message: unknown): void {
    this.sendFrame(JSON.stringify(toPlain(message, this.serialization)));
  }

  /** Closes the connection with a WebSocket close code (1000: normal closure). */
  close(code = 1000, reason?: string): void {
    this.socket.close(code, reason);
  }

  /** @internal Sends an already serialized frame; a closing socket drops it. */
  sendFrame(frame: string | Buffer): void {
    if (this.socket.readyState === WebSocket.OPEN) {
      this.socket.send(frame, TEXT_FRAME);
    }
  }
}

function parseQuery(url: string): Record<string, string | string[]> {
  const query: Record<string, string | string[]> = {};
  const start = url.indexOf('?');
  if (start === -1) return query;
  for (const [key, value] of new URLSearchParams(url.slice(start + 1))) {
    const previous = query[key];
    query[key] = previous === undefined ? value : [...(Array.isArray(previous) ? previous : [previous]), value];
  }
  return query;
}
