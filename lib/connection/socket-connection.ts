import type { IncomingHttpHeaders } from 'node:http';

/**
 * One client's WebSocket, as handlers see it through `@Connection()` (and guards through
 * `context.switchToWs().getClient()`). `User` is the type of the identity set by authentication.
 *
 * Only what handlers, guards and hooks may use. An abstract class rather than an interface, so that
 * `@Connection() connection: SocketConnection` keeps its runtime type under `emitDecoratorMetadata`
 * with `isolatedModules`, and `instanceof SocketConnection` holds; the server's own implementation,
 * with its queue and timers, extends it and is not part of the package's API.
 */
export abstract class SocketConnection<User = unknown> {
  /** Headers of the upgrade request, less the handshake's own `Sec-WebSocket-Key/Version/Extensions`. */
  abstract readonly headers: IncomingHttpHeaders;
  /** Path and query string of the upgrade request. */
  abstract readonly url: string;
  /** The socket's peer: the client, or the proxy in front of it. */
  abstract readonly remoteAddress: string | undefined;
  /**
   * The client's address: the peer's, or the one a trusted proxy forwarded (`trustedProxies`);
   * IPv4-mapped IPv6 as IPv4. What `maxConnectionsPerAddress` counts.
   */
  abstract readonly clientAddress: string | undefined;

  /** Unique in this process; random, so it can be shown to other clients. */
  abstract get id(): string;

  /** The authenticated identity (`auth` option), or undefined. */
  abstract get user(): User | undefined;

  /** Who the user is (the identity's `subject`, e.g. the JWT `sub`), when the authenticator says. */
  abstract get subject(): string | undefined;

  /** When the credentials expire (ms since the epoch), if they do. */
  abstract get expiresAt(): number | undefined;

  /** Query parameters of the upgrade request; a repeated key gives an array. An object without prototype. */
  abstract get query(): Record<string, string | string[]>;

  /** Per-connection storage for the application (user, session, …); gone with the connection. */
  abstract get data(): Map<string, unknown>;

  abstract get isOpen(): boolean;

  /** Names of the channels this connection is subscribed to. */
  abstract get subscriptions(): string[];

  /**
   * Sends any JSON message to this client; class instances go through class-transformer. Throws,
   * sending nothing, when JSON cannot carry the message as it is (see `toPlain`).
   */
  abstract send(message: unknown): void;

  /**
   * Closes the connection with a WebSocket close code (default 1000: normal closure). From then on
   * the connection does nothing more (the frames it left waiting are dropped, later ones are not
   * handled, replies still running are not sent), and a peer that does not answer the close frame is
   * cut after `closeTimeoutMs`.
   */
  abstract close(code?: number, reason?: string): void;
}
