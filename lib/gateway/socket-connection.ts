import { randomUUID } from 'node:crypto';
import type { IncomingHttpHeaders, IncomingMessage } from 'node:http';
import type { ClassTransformOptions } from 'class-transformer';
import { WebSocket } from 'ws';
import type { Channel, ChannelSubscriber } from '../channels/channel.js';
import { toPlain } from '../protocol/to-plain.js';

const TEXT_FRAME = { binary: false } as const;
const NO_CHANNELS: ReadonlySet<Channel> = new Set();

/** Headers that only served the WebSocket handshake, not worth their memory on every connection. */
const HANDSHAKE_HEADERS = new Set(['sec-websocket-key', 'sec-websocket-version', 'sec-websocket-extensions']);

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
  /** Headers of the upgrade request, less the handshake's own `Sec-WebSocket-Key/Version/Extensions`. */
  readonly headers: IncomingHttpHeaders;
  /** Path and query string of the upgrade request. */
  readonly url: string;
  readonly remoteAddress: string | undefined;
  // Created on first use: most connections never need them, and every byte counts per connection.
  private uuid?: string;
  private parsedQuery?: Record<string, string | string[]>;
  private store?: Map<string, unknown>;
  private joined?: Set<Channel>;

  /** @internal Messages being handled now. */
  active = 0;
  /** @internal Messages received while `active` was at the concurrency limit. */
  pending?: PendingFrame[];

  /** @internal */
  constructor(
    /** @internal */
    readonly socket: WebSocket,
    request: IncomingMessage,
    private readonly serialization?: ClassTransformOptions,
  ) {
    // Only what handlers may read is kept: holding the whole request would cost kilobytes per client.
    this.headers = withoutHandshakeHeaders(request.headers);
    this.url = request.url ?? '/';
    this.remoteAddress = request.socket.remoteAddress;
  }

  /** Unique in this process; random, so it can be shown to other clients. */
  get id(): string {
    this.uuid ??= randomUUID();
    return this.uuid;
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

  /** @internal Channels this connection is subscribed to. */
  get channels(): ReadonlySet<Channel> {
    return this.joined ?? NO_CHANNELS;
  }

  /** @internal */
  join(channel: Channel): void {
    (this.joined ??= new Set()).add(channel);
  }

  /** @internal */
  leave(channel: Channel): void {
    this.joined?.delete(channel);
  }

  /** @internal Forgets every channel; returns the ones it was in. */
  leaveAll(): ReadonlySet<Channel> {
    const channels = this.channels;
    this.joined = undefined;
    return channels;
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

function withoutHandshakeHeaders(headers: IncomingHttpHeaders): IncomingHttpHeaders {
  const kept: IncomingHttpHeaders = {};
  for (const name in headers) {
    if (!HANDSHAKE_HEADERS.has(name)) kept[name] = headers[name];
  }
  return kept;
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
