import type { IncomingHttpHeaders, IncomingMessage } from 'node:http';
import type { SocketConnection } from '../connection/socket-connection.js';

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
  /**
   * Who the user is, as a stable string (a user id: the JWT `sub`). An in-band renewal must keep it:
   * credentials of another subject, or without one, are refused (`FORBIDDEN`) unless the renewal
   * says `allowSubjectChange` (see {@link SocketRenewal}).
   */
  subject?: string;
  /**
   * When the credentials expire, in milliseconds since the epoch: the connection is closed then,
   * unless renewed. A finite number, or absent (never expires). One already past refuses the
   * credentials (HTTP 401, or `UNAUTHORIZED` at renewal); anything else (`Infinity`, `NaN`, a string)
   * is a fault of the authenticator: HTTP 500, or `INTERNAL_ERROR` at renewal, and an error logged.
   */
  expiresAt?: number;
}

/** What {@link SocketAuthenticator.renew} accepts: a new identity, and whether it may be someone else's. */
export interface SocketRenewal<User = unknown> extends SocketIdentity<User> {
  /**
   * `true` lets this renewal replace the connection's identity by one of another `subject` (or
   * without one). Default `false`: a renewal keeps the subject, so that credentials refused at
   * connect (by a connect guard, say) cannot become a connection's identity by renewal.
   */
  allowSubjectChange?: boolean;
}

export type MaybePromise<T> = T | Promise<T>;

/**
 * One way a client may send its credentials, as the generated AsyncAPI document describes it (a
 * security scheme of AsyncAPI 3.0, so tools and the docs page know how to connect).
 */
export type SocketSecurityScheme =
  | {
      /** `Authorization: Bearer <token>` on the upgrade request. */
      type: 'http';
      scheme: 'bearer';
      /** What the token is, e.g. `'JWT'`. */
      bearerFormat?: string;
      /**
       * A WebSocket subprotocol a browser offers before the token, since it cannot set headers:
       * `new WebSocket(url, [subprotocol, token])` (in the document: `x-socketapi-subprotocol`).
       */
      subprotocol?: string;
      description?: string;
    }
  | {
      /** A credential in a header, a query parameter of the socket URL, or a cookie. */
      type: 'httpApiKey';
      in: 'header' | 'query' | 'cookie';
      /** The header's, query parameter's or cookie's name. */
      name: string;
      description?: string;
    };

/**
 * Authenticates a client when its WebSocket upgrade arrives, before the socket exists. Returning
 * `undefined` refuses the upgrade with HTTP 401; an `HttpException` gives its status (401, 403, …);
 * anything else thrown is logged and answered with HTTP 500, as a failing route is.
 */
export interface SocketAuthenticator<User = unknown> {
  authenticate(request: HandshakeRequest): MaybePromise<SocketIdentity<User> | undefined>;
  /**
   * Renews a connection's credentials in-band (`{"type":"auth","data":credentials}`), e.g. before a
   * token expires; without it, clients cannot renew. A renewal is authenticated by the same rules
   * as a connection: `undefined` refuses it (`UNAUTHORIZED`), an `HttpException` gives the code of
   * its status, anything else thrown `INTERNAL_ERROR` (logged); then the identity must keep the
   * connection's `subject` (else `FORBIDDEN`, unless `allowSubjectChange`), and the connect guards
   * run again on it (a refusal: `FORBIDDEN`). A refused renewal changes nothing: the connection
   * keeps its identity, expiry and subscriptions. One renewal runs at a time per connection.
   */
  renew?(credentials: unknown, connection: SocketConnection): MaybePromise<SocketRenewal<User> | undefined>;
  /**
   * How clients send credentials, for the generated document's security schemes (a client needs any
   * one of them). Without it, the document says that the server authenticates connections and names
   * no way to send credentials, which a custom authenticator's docs then have to tell.
   */
  securitySchemes?(): SocketSecurityScheme[];
}
