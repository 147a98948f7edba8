import type { AbortSignalLike, WebSocketConstructor } from './platform.js';

/** Why the token provider is called, so that it can fetch a fresh token rather than return a cached one. */
export type TokenRequestReason =
  /** The first connection. */
  | 'connect'
  /** A reconnection after a drop. */
  | 'reconnect'
  /** An in-band renewal before the expiry. */
  | 'renew'
  /** The server refused the last token (or expired it): a cached one will not do. */
  | 'refused';

/** A token, with when it expires (ms since the epoch), when the provider knows it. */
export interface TokenWithExpiry {
  token: string;
  expiresAt?: number;
}

/** Gives the token to send: called at every (re)connect and renewal, never twice at once. */
export type TokenProvider = (
  reason: TokenRequestReason,
) => string | TokenWithExpiry | Promise<string | TokenWithExpiry>;

export interface ClientAuthOptions {
  /** The token, or a function giving it (a fresh one when asked with reason `'refused'`). */
  token: string | TokenProvider;
  /**
   * How the token travels in the handshake, as the server's authenticators read it:
   * - `'subprotocol'`: `new WebSocket(url, ['bearer', token])`, read by `jwtAuthenticator` (browsers
   *   cannot set headers; the token stays out of URLs and access logs);
   * - `'query'`: `?<queryParam>=<token>`, read by `jwtAuthenticator` (`token`) and `apiKeyAuthenticator` (`api_key`);
   * - `'header'`: `Authorization: Bearer <token>`, or the header `headerName` holding the token as it is
   *   (`x-api-key`); only with `ws` (Node), which can set headers: the client then loads `ws` even where
   *   the platform has a WebSocket.
   * @default 'subprotocol'
   */
  sendAs?: 'subprotocol' | 'query' | 'header';
  /** The query parameter for `sendAs: 'query'` (`api_key` for `apiKeyAuthenticator`). @default 'token' */
  queryParam?: string;
  /** The header for `sendAs: 'header'`; `authorization` sends `Bearer <token>`. @default 'authorization' */
  headerName?: string;
  /**
   * The `data` of the in-band renewal frame for a token (`{ apiKey }` for `apiKeyAuthenticator`), or
   * `false` to never renew in-band (the server then closes the connection at the expiry, and the client
   * reconnects with a fresh token).
   * @default (token) => ({ token })
   */
  renewal?: ((token: string) => unknown) | false;
  /**
   * Renew this long before the expiry (the one the server reported on the last renewal, else the one
   * the provider gave, else a JWT's `exp`); for credentials valid for less than twice this, at half
   * their remaining life.
   * @default 30000
   */
  renewBeforeMs?: number;
}

export interface ReconnectOptions {
  /** The ceiling of the first retry's random delay; it doubles at each failed attempt. @default 500 */
  initialDelayMs?: number;
  /** The ceiling of the random delay, however many attempts failed. @default 20000 */
  maxDelayMs?: number;
  /**
   * After this many reconnection attempts failed in a row (the first connect not counted), the client
   * stops (terminal `CLIENT_GAVE_UP`).
   * @default Infinity
   */
  maxAttempts?: number;
  /**
   * A connection that stays open this long resets the delay to its first ceiling (`initialDelayMs`).
   * One that ends sooner (a server that accepts and closes at once, a proxy that drops right after the
   * upgrade) lets the delay keep doubling, so that a flapping server is not hit at the first ceiling for
   * ever. `maxAttempts` counts failed handshakes only: any open restarts it.
   * @default 10000
   */
  stableAfterMs?: number;
  /**
   * Handshakes refused with no HTTP status known (a browser sees only 1006) while the client sends
   * credentials, each with a fresh token, after which the client gives up with `CLIENT_AUTH_REFUSED`.
   * Counted only when the server was reachable (see the report); an answer 401/403 that the platform
   * shows (`ws`) counts at once: refused twice, the second time with a fresh token, is terminal.
   * @default 4
   */
  maxUnexplainedRefusals?: number;
}

export interface HeartbeatOptions {
  /** After this long without any frame from the server, the client sends `{"type":"ping"}`. @default 15000 */
  idleMs?: number;
  /** If nothing at all arrives within this long after that ping, the connection is dead and replaced. @default 10000 */
  timeoutMs?: number;
}

export interface QueueOptions {
  /** Actions waiting for a connection, at most. @default 100 */
  maxItems?: number;
  /** Their frames' UTF-8 bytes, at most. @default 1048576 (1 MiB) */
  maxBytes?: number;
}

export interface SocketApiClientOptions {
  /**
   * The WebSocket class. By default the platform's own (browsers, Node 22+), else `ws` (Node 20), loaded
   * on first connect when it is installed.
   */
  WebSocket?: WebSocketConstructor;
  /** Credentials for the server's `auth` option. @default none */
  auth?: ClientAuthOptions;
  /** Reconnection after a drop; `false` turns it off (a drop is then terminal). @default {} (on) */
  reconnect?: ReconnectOptions | false;
  /** The client's own liveness check; `false` turns it off. @default {} (on) */
  heartbeat?: HeartbeatOptions | false;
  /** The bound of the queue of actions issued while disconnected. @default {} */
  queue?: QueueOptions;
  /**
   * A handshake not done within this long is given up (and retried): a server or network that swallows
   * it would otherwise hold the client in `connecting`. Above the server's `handshakeTimeoutMs` (10 s).
   * @default 15000
   */
  connectTimeoutMs?: number;
  /** An action's default `timeoutMs`. @default 30000 */
  actionTimeoutMs?: number;
  /** An action's default `whenDisconnected`. @default 'queue' */
  whenDisconnected?: 'queue' | 'fail';
  /** Other subprotocols to offer (after `bearer, <token>` when the token travels that way). @default [] */
  protocols?: string[];
  /** The source of randomness of the backoff (tests make it seeded). @default Math.random */
  random?: () => number;
  /**
   * The hash of the contract the client's types come from (the generated file's `contractHash`). Given,
   * the client asks the server for its own at each connection, and a difference is reported on
   * `contractMismatch$` and as a console warning (the connection goes on).
   * @default none (no check)
   */
  contractHash?: string;
}

export interface ActionOptions {
  /** Reject with `CLIENT_TIMEOUT` after this long without a reply (time queued included). @default the client's `actionTimeoutMs` */
  timeoutMs?: number;
  /** Aborting rejects with `CLIENT_ABORTED` (with `maybeExecuted` when it was already sent). */
  signal?: AbortSignalLike;
  /** While disconnected: wait in the queue, or reject at once with `CLIENT_NOT_CONNECTED`. @default the client's `whenDisconnected` */
  whenDisconnected?: 'queue' | 'fail';
}

/** The reconnect delays by default; a subscription the server cannot serve yet (`UNAVAILABLE`) is retried after them too. */
export const DEFAULT_RETRY_DELAYS = { initialDelayMs: 500, maxDelayMs: 20_000 } as const;

/** The options with every default applied. */
export interface ResolvedClientOptions {
  WebSocket?: WebSocketConstructor;
  auth?: Required<Omit<ClientAuthOptions, 'renewal'>> & { renewal: ((token: string) => unknown) | false };
  reconnect: Required<ReconnectOptions> | false;
  heartbeat: Required<HeartbeatOptions> | false;
  queue: Required<QueueOptions>;
  connectTimeoutMs: number;
  actionTimeoutMs: number;
  whenDisconnected: 'queue' | 'fail';
  protocols: string[];
  random: () => number;
  contractHash: string | undefined;
}

export function resolveClientOptions(options: SocketApiClientOptions = {}): ResolvedClientOptions {
  const { auth, reconnect, heartbeat } = options;
  return {
    WebSocket: options.WebSocket,
    auth: auth && {
      token: auth.token,
      sendAs: auth.sendAs ?? 'subprotocol',
      queryParam: auth.queryParam ?? 'token',
      headerName: auth.headerName ?? 'authorization',
      renewal: auth.renewal ?? ((token: string) => ({ token })),
      renewBeforeMs: auth.renewBeforeMs ?? 30_000,
    },
    reconnect: reconnect !== false && {
      initialDelayMs: reconnect?.initialDelayMs ?? DEFAULT_RETRY_DELAYS.initialDelayMs,
      maxDelayMs: reconnect?.maxDelayMs ?? DEFAULT_RETRY_DELAYS.maxDelayMs,
      maxAttempts: reconnect?.maxAttempts ?? Infinity,
      stableAfterMs: reconnect?.stableAfterMs ?? 10_000,
      maxUnexplainedRefusals: reconnect?.maxUnexplainedRefusals ?? 4,
    },
    heartbeat: heartbeat !== false && {
      idleMs: heartbeat?.idleMs ?? 15_000,
      timeoutMs: heartbeat?.timeoutMs ?? 10_000,
    },
    queue: { maxItems: options.queue?.maxItems ?? 100, maxBytes: options.queue?.maxBytes ?? 1024 * 1024 },
    connectTimeoutMs: options.connectTimeoutMs ?? 15_000,
    actionTimeoutMs: options.actionTimeoutMs ?? 30_000,
    whenDisconnected: options.whenDisconnected ?? 'queue',
    protocols: options.protocols ?? [],
    random: options.random ?? Math.random,
    contractHash: options.contractHash,
  };
}
