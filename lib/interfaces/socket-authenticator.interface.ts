import type { IncomingHttpHeaders, IncomingMessage } from 'node:http';
import type { SocketConnection } from '../gateway/socket-connection.js';

/** The WebSocket upgrade request, as an authenticator sees it. */
export interface HandshakeRequest {
  headers: IncomingHttpHeaders;
  /**
   * Query parameters of the upgrade URL; a repeated key gives an array. Like `cookies`, an object
   * without prototype, so `?constructor=x` is just a key (test keys with `in` or `Object.hasOwn`).
   */
  query: Record<string, string | string[]>;
  /** Cookies of the `Cookie` header. */
  cookies: Record<string, string>;
  /** The socket's peer: the client, or the proxy in front of it. */
  remoteAddress: string | undefined;
  /** The client's address: the peer's, or one a trusted proxy forwarded (see `trustedProxies`). */
  clientAddress?: string;
  /** The Node request itself. */
  raw: IncomingMessage;
}

/** Who a client is, and until when. */
export interface SocketIdentity<User = unknown> {
  user: User;
  /** When the credentials expire, in milliseconds since the epoch: the connection is closed then, unless renewed. */
  expiresAt?: number;
}

export type MaybePromise<T> = T | Promise<T>;

/**
 * Authenticates a client when its WebSocket upgrade arrives, before the socket exists. Returning
 * `undefined` (or throwing) refuses the upgrade with HTTP 401; an `HttpException` with status 401 or
 * 403 gives that status.
 */
export interface SocketAuthenticator<User = unknown> {
  authenticate(request: HandshakeRequest): MaybePromise<SocketIdentity<User> | undefined>;
  /**
   * Renews a connection's credentials in-band (`{"type":"auth","data":credentials}`), e.g. before a
   * token expires. Same contract; without it, clients cannot renew.
   */
  renew?(credentials: unknown, connection: SocketConnection): MaybePromise<SocketIdentity<User> | undefined>;
}
