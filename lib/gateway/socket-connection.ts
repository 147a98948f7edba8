import { randomUUID } from 'node:crypto';
import type { IncomingHttpHeaders, IncomingMessage } from 'node:http';
import type { ClassTransformOptions } from 'class-transformer';
import { WebSocket } from 'ws';
import type { Channel, ChannelSubscriber } from '../channels/channel.js';
import type { SocketIdentity } from '../interfaces/socket-authenticator.interface.js';
import type { ErrorPayload } from '../protocol/messages.js';
import { applicationMessage } from '../protocol/server-messages.js';
import { toPlain } from '../protocol/to-plain.js';
import { CloseCode } from './close-codes.js';
import { parseQuery } from './request-parsing.js';

const TEXT_FRAME = { binary: false } as const;
const NO_CHANNELS: ReadonlyMap<Channel, unknown> = new Map();

/** Headers that only served the WebSocket handshake, not worth their memory on every connection. */
const HANDSHAKE_HEADERS = new Set(['sec-websocket-key', 'sec-websocket-version', 'sec-websocket-extensions']);

/** A frame waiting for its turn (see `concurrency`), or the error that answers a refused one. */
export type PendingFrame = { data: Buffer; isBinary: boolean } | { refusal: ErrorPayload };

/** What every connection of one server shares: set once, referenced by each. */
export interface ConnectionPolicy {
  serialization?: ClassTransformOptions;
  maxBufferedBytes: number;
  /** Called once, when the server closes an open connection: drops what it left waiting. */
  closing(connection: SocketConnection): void;
}

/**
 * One client's WebSocket, as handlers see it through `@Connection()` (and guards through
 * `context.switchToWs().getClient()`). `User` is the type of the identity set by authentication.
 */
export class SocketConnection<User = unknown> implements ChannelSubscriber {
  /** Headers of the upgrade request, less the handshake's own `Sec-WebSocket-Key/Version/Extensions`. */
  readonly headers: IncomingHttpHeaders;
  /** Path and query string of the upgrade request. */
  readonly url: string;
  /** The socket's peer: the client, or the proxy in front of it. */
  readonly remoteAddress: string | undefined;
  /**
   * The client's address: the peer's, or the one a trusted proxy forwarded (`trustedProxies`);
   * IPv4-mapped IPv6 as IPv4. What `maxConnectionsPerAddress` counts.
   */
  readonly clientAddress: string | undefined;
  // Created on first use: most connections never need them, and every byte counts per connection.
  private uuid?: string;
  private parsedQuery?: Record<string, string | string[]>;
  private store?: Map<string, unknown>;
  private joined?: Map<Channel, unknown>;
  private identity?: SocketIdentity<User>;

  /** @internal Messages being handled now. */
  active = 0;
  /** @internal Messages received while `active` was at the concurrency limit. */
  pending?: PendingFrame[];
  /** @internal Bytes held by `pending`: the frames' payloads and the refusals' estimated size. */
  pendingBytes = 0;
  /** @internal A heartbeat ping is waiting for its pong. */
  awaitingPong = false;
  /** @internal When the last message arrived (ms), kept only with an idle timeout. */
  lastMessageAt = 0;
  /** @internal Token bucket state, with a rate limit. */
  tokens?: number;
  /** @internal */
  tokensAt = 0;
  /** @internal Messages refused in a row by the rate limit. */
  refusedInRow = 0;
  /**
   * @internal Per channel name, the subscribe or unsubscribe of that channel still running (only
   * with `concurrency` above 1): the next one waits for it, so that they end in the order received.
   */
  channelTurns?: Map<string, Promise<void>>;
  /** @internal Closes the connection when its credentials expire. */
  expiryTimer?: NodeJS.Timeout;

  /** @internal */
  constructor(
    /** @internal */
    readonly socket: WebSocket,
    request: IncomingMessage,
    private readonly policy: ConnectionPolicy,
    clientAddress: string | undefined,
  ) {
    // Only what handlers may read is kept: holding the whole request would cost kilobytes per client.
    this.headers = withoutHandshakeHeaders(request.headers);
    this.url = request.url ?? '/';
    this.remoteAddress = request.socket.remoteAddress;
    this.clientAddress = clientAddress;
  }

  /** Unique in this process; random, so it can be shown to other clients. */
  get id(): string {
    this.uuid ??= randomUUID();
    return this.uuid;
  }

  /** The authenticated identity (`auth` option), or undefined. */
  get user(): User | undefined {
    return this.identity?.user;
  }

  /** Who the user is (the identity's `subject`, e.g. the JWT `sub`), when the authenticator says. */
  get subject(): string | undefined {
    return this.identity?.subject;
  }

  /** When the credentials expire (ms since the epoch), if they do. */
  get expiresAt(): number | undefined {
    return this.identity?.expiresAt;
  }

  /** Query parameters of the upgrade request; a repeated key gives an array. An object without prototype. */
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
    return [...this.channels.keys()].map((channel) => channel.name);
  }

  /**
   * Sends any JSON message to this client; class instances go through class-transformer. Throws,
   * sending nothing, when JSON cannot carry the message as it is (see `toPlain`).
   */
  send(message: unknown): void {
    this.sendFrame(applicationMessage(toPlain(message, this.policy.serialization)));
  }

  /**
   * Closes the connection with a WebSocket close code (1000: normal closure). Every close the server
   * decides goes through here: from then on the connection does nothing more (the frames it left
   * waiting are dropped, later ones are not handled, replies still running are not sent), and a peer
   * that does not answer the close frame is cut after `closeTimeoutMs`.
   */
  close(code: number = CloseCode.NORMAL, reason?: string): void {
    const wasOpen = this.isOpen;
    // First: ws throws on a code or reason it cannot send (1005, a reason over 123 bytes), and then
    // the connection stays open, so what it left waiting must still be answered.
    this.socket.close(code, reason);
    if (wasOpen) this.policy.closing(this);
  }

  /** @internal Cuts the TCP connection without a closing handshake: a dead peer, or one that did not answer. */
  terminate(): void {
    if (this.isOpen) this.policy.closing(this);
    this.socket.terminate();
  }

  /**
   * @internal Channels this connection is subscribed to, each with the `data` of the subscribe
   * message that admitted it (its parameters, which its guards see again after a renewal).
   */
  get channels(): ReadonlyMap<Channel, unknown> {
    return this.joined ?? NO_CHANNELS;
  }

  /** @internal */
  join(channel: Channel, data: unknown): void {
    (this.joined ??= new Map()).set(channel, data);
  }

  /** @internal */
  leave(channel: Channel): void {
    this.joined?.delete(channel);
  }

  /** @internal Forgets every channel; returns the ones it was in. */
  leaveAll(): Iterable<Channel> {
    const channels = this.channels;
    this.joined = undefined;
    return channels.keys();
  }

  /** @internal */
  identify(identity: SocketIdentity<User> | undefined): void {
    this.identity = identity;
  }

  /**
   * @internal Sends an already serialized frame; a closing socket drops it. A client whose send
   * buffer is past the limit reads too slowly: it is closed with 1013 rather than buffered without end.
   */
  sendFrame(frame: string | Buffer): void {
    if (this.socket.readyState !== WebSocket.OPEN) return;
    // ws sends a string as text by itself; options would cost it an object spread on every reply.
    if (typeof frame === 'string') this.socket.send(frame);
    else this.socket.send(frame, TEXT_FRAME);
    if (this.socket.bufferedAmount > this.policy.maxBufferedBytes) {
      this.close(CloseCode.TRY_AGAIN_LATER, 'Slow consumer');
    }
  }

  /**
   * @internal Sends a channel frame unless the client is behind; false when dropped. Frames are
   * dropped at half the limit, so that the replies of a client that is behind still have room.
   */
  offerFrame(frame: Buffer): boolean {
    if (this.socket.readyState !== WebSocket.OPEN) return true;
    if (this.socket.bufferedAmount + frame.length > this.policy.maxBufferedBytes / 2) return false;
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
