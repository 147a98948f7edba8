import { Buffer } from 'node:buffer';
import { randomUUID } from 'node:crypto';
import type { IncomingHttpHeaders, IncomingMessage } from 'node:http';
import type { ClassTransformOptions } from 'class-transformer';
import { WebSocket } from 'ws';
import type { ChannelSubscriber, FanOutChannel } from '../channels/fan-out-channel.js';
import { SocketConnection } from '../connection/socket-connection.js';
import type { SocketApiMetrics } from '../metrics/socket-api-metrics.js';
import type { SocketIdentity } from '../interfaces/socket-authenticator.interface.js';
import { parseQuery } from '../network/request-parsing.js';
import { CloseCode } from '../protocol/close-codes.js';
import type { ErrorPayload } from '../protocol/messages.js';
import { applicationMessage } from '../protocol/server-messages.js';
import { CloseReason } from '../protocol/socket-api.messages.js';
import { toPlain } from '../protocol/to-plain.js';

const TEXT_FRAME = { binary: false } as const;

/** Headers that only served the WebSocket handshake, not worth their memory on every connection. */
const HANDSHAKE_HEADERS = new Set(['sec-websocket-key', 'sec-websocket-version', 'sec-websocket-extensions']);

/** A frame waiting for its turn (see `concurrency`), or the error that answers a refused one. */
export type PendingFrame = { data: Buffer; isBinary: boolean } | { refusal: ErrorPayload };

/** What every connection of one server shares: set once, referenced by each. */
export interface ConnectionPolicy {
  serialization?: ClassTransformOptions;
  maxBufferedBytes: number;
  /** `null`: metrics are off. */
  metrics: SocketApiMetrics | null;
  /** Called once, when the server closes an open connection: drops what it left waiting. */
  closing(connection: WsConnection): void;
}

/**
 * The server's connection: the public {@link SocketConnection} over a `ws` socket, plus what the
 * gateway layer keeps per client (the inbound queue, rate-limit bucket, heartbeat and expiry state)
 * and the frame senders the router and the channels use. Nothing outside the gateway layer sees it.
 */
export class WsConnection<User = unknown> extends SocketConnection<User> implements ChannelSubscriber {
  readonly headers: IncomingHttpHeaders;
  readonly url: string;
  readonly remoteAddress: string | undefined;
  readonly clientAddress: string | undefined;
  // Created on first use: most connections never need them, and every byte counts per connection.
  private uuid?: string;
  private parsedQuery?: Record<string, string | string[]>;
  private store?: Map<string, unknown>;
  private identity?: SocketIdentity<User>;
  subscribed?: Map<FanOutChannel, unknown>;

  /** Messages being handled now. */
  active = 0;
  /** Messages received while `active` was at the concurrency limit. */
  pending?: PendingFrame[];
  /** Bytes held by `pending`: the frames' payloads and the refusals' estimated size. */
  pendingBytes = 0;
  /** A heartbeat ping is waiting for its pong. */
  awaitingPong = false;
  /** When the last message arrived (ms), kept only with an idle timeout. */
  lastMessageAt = 0;
  /** Token bucket state, with a rate limit. */
  tokens?: number;
  tokensAt = 0;
  /** Messages refused in a row by the rate limit. */
  refusedInRow = 0;
  /**
   * Per channel name, the subscribe or unsubscribe of that channel still running (only with
   * `concurrency` above 1): the next one waits for it, so that they end in the order received.
   */
  channelTurns?: Map<string, Promise<void>>;
  /** Closes the connection when its credentials expire. */
  expiryTimer?: NodeJS.Timeout;

  constructor(
    readonly socket: WebSocket,
    request: IncomingMessage,
    private readonly policy: ConnectionPolicy,
    clientAddress: string | undefined,
  ) {
    super();
    // Only what handlers may read is kept: holding the whole request would cost kilobytes per client.
    this.headers = withoutHandshakeHeaders(request.headers);
    this.url = request.url ?? '/';
    this.remoteAddress = request.socket.remoteAddress;
    this.clientAddress = clientAddress;
  }

  get id(): string {
    this.uuid ??= randomUUID();
    return this.uuid;
  }

  get user(): User | undefined {
    return this.identity?.user;
  }

  get subject(): string | undefined {
    return this.identity?.subject;
  }

  get expiresAt(): number | undefined {
    return this.identity?.expiresAt;
  }

  get query(): Record<string, string | string[]> {
    this.parsedQuery ??= parseQuery(this.url);
    return this.parsedQuery;
  }

  get data(): Map<string, unknown> {
    this.store ??= new Map();
    return this.store;
  }

  get isOpen(): boolean {
    return this.socket.readyState === WebSocket.OPEN;
  }

  get subscriptions(): string[] {
    return this.subscribed ? [...this.subscribed.keys()].map((channel) => channel.name) : [];
  }

  send(message: unknown): void {
    const frame = applicationMessage(toPlain(message, this.policy.serialization));
    if (this.socket.readyState !== WebSocket.OPEN) return;
    const encoded = this.encode(frame);
    this.write(encoded);
    this.policy.metrics?.messageOut(encoded);
  }

  /** Every close the server decides goes through here (see {@link SocketConnection.close}). */
  close(code: number = CloseCode.NORMAL, reason?: string): void {
    const wasOpen = this.isOpen;
    // First: ws throws on a code or reason it cannot send (1005, a reason over 123 bytes), and then
    // the connection stays open, so what it left waiting must still be answered.
    this.socket.close(code, reason);
    if (wasOpen) this.policy.closing(this);
  }

  /** Cuts the TCP connection without a closing handshake: a dead peer, or one that did not answer. */
  terminate(): void {
    if (this.isOpen) this.policy.closing(this);
    this.socket.terminate();
  }

  identify(identity: SocketIdentity<User> | undefined): void {
    this.identity = identity;
  }

  /**
   * Sends an already serialized frame; a closing socket drops it. A client whose send buffer is past
   * the limit reads too slowly: it is closed with 1013 rather than buffered without end.
   */
  sendFrame(frame: string | Buffer): void {
    if (this.socket.readyState !== WebSocket.OPEN) return;
    const encoded = typeof frame === 'string' ? this.encode(frame) : frame;
    this.write(encoded);
    this.policy.metrics?.frameOut(encoded);
  }

  /**
   * A text frame encoded here, as ws is best given it: a string would be measured by ws (and by the
   * metrics) and then encoded by the socket, 2,500 more instructions in a reply of 26,300 (callgrind,
   * bench/profile.mjs). But a small Buffer is a slice of an 8 KiB pool shared by the frames of the
   * moment, and one left waiting for a slow client would keep the pool alive while charged for its own
   * bytes: behind frames already waiting, a frame stays a string.
   */
  private encode(frame: string): string | Buffer {
    return this.socket.bufferedAmount === 0 ? Buffer.from(frame) : frame;
  }

  private write(frame: string | Buffer): void {
    // ws sends a string as text by itself; options would cost it an object spread on every reply.
    if (typeof frame === 'string') this.socket.send(frame);
    else this.socket.send(frame, TEXT_FRAME);
    if (this.socket.bufferedAmount > this.policy.maxBufferedBytes) {
      if (this.policy.metrics) this.policy.metrics.slowConsumers++;
      this.close(CloseCode.TRY_AGAIN_LATER, CloseReason.slowConsumer);
    }
  }

  /**
   * Sends a channel frame unless the client is behind; false when dropped. Frames are dropped at
   * half the limit, so that the replies of a client that is behind still have room.
   */
  offerFrame(frame: Buffer): boolean {
    if (this.socket.readyState !== WebSocket.OPEN) return true;
    if (this.socket.bufferedAmount + frame.length > this.policy.maxBufferedBytes / 2) return false;
    this.policy.metrics?.frameOut(frame);
    this.socket.send(frame, TEXT_FRAME);
    return true;
  }
}

/**
 * A plain object, as Node gives `request.headers` (Node drops a `__proto__` header): a prototype-less
 * one would be a dictionary, about 150 bytes more on every connection.
 */
function withoutHandshakeHeaders(headers: IncomingHttpHeaders): IncomingHttpHeaders {
  const kept: IncomingHttpHeaders = {};
  for (const name in headers) {
    if (!HANDSHAKE_HEADERS.has(name)) kept[name] = headers[name];
  }
  return kept;
}
