import type { CanActivate, Type } from '@nestjs/common';
import type { ClassTransformOptions } from 'class-transformer';
import type { ValidatorOptions } from 'class-validator';
import type { BroadcastOptions } from './broadcast-options.interface.js';
import type { RedisConnection } from './redis-broker-options.interface.js';
import type { SocketApiBroker } from './socket-api-broker.interface.js';
import type { SocketAuthenticator } from './socket-authenticator.interface.js';

export interface SocketApiValidationOptions {
  /** Passed to class-validator's `validate()` for every DTO. */
  validator?: ValidatorOptions;
  /** Passed to class-transformer's `plainToInstance()` when a DTO is built from `data`. */
  transformer?: ClassTransformOptions;
}

/** A token bucket per connection: `burst` messages at once, refilled at `perSecond`. */
export interface RateLimitOptions {
  perSecond: number;
  burst: number;
  /** Refused messages in a row after which the connection is closed with 1008. Default: `burst`. */
  closeAfter?: number;
}

/** Which browser origins may use the socket (and the HTTP bridge): see `allowedOrigins`. */
export type AllowedOrigins = ReadonlyArray<string | RegExp> | '*' | ((origin: string | undefined) => boolean);

export interface HeartbeatOptions {
  /** How often every connection gets a WebSocket ping frame. Default 30 s. */
  intervalMs?: number;
  /** How long a peer has to answer with a pong before it is terminated. Default 10 s. */
  timeoutMs?: number;
}

export interface SocketApiModuleOptions {
  /** URL path of the WebSocket on the app's HTTP server. Default `/`. */
  path?: string;
  /** Largest frame accepted, in bytes; a larger one closes the connection with 1009. Default 64 KiB. */
  maxPayload?: number;
  /**
   * Messages of one connection handled at the same time. Default 1: each reply is sent before the
   * next message is handled. Above 1, replies may come out of order and clients match them by `id`.
   */
  concurrency?: number;
  validation?: SocketApiValidationOptions;
  /** class-transformer options used when a reply or publication holds class instances. */
  serialization?: ClassTransformOptions;
  /** Carries publications between the app's instances. Default: in memory, one process. */
  broker?: SocketApiBroker;
  /**
   * Scale out through Redis pub/sub: a URL (`'redis://host:6379'`), ioredis options, or an ioredis
   * client (kept yours: never closed by the library). Publications then reach the subscribers of
   * every instance that uses the same Redis and `redisPrefix`. Ignored when `broker` is given.
   */
  redis?: RedisConnection;
  /** Redis channels are named `${redisPrefix}:${channel}`. Default `'socketapi'`. */
  redisPrefix?: string;
  /** How long startup waits for Redis before failing (`Cannot reach Redis at ...`). Default 5000 ms. */
  redisConnectTimeoutMs?: number;
  /**
   * Shared secret of the app's instances (and `SocketApiEmitter`s): every message on Redis is signed
   * (HMAC-SHA256) and unsigned or wrongly signed ones are ignored (`stats.rejected`). Default: none:
   * any well-formed publication on `${redisPrefix}:*` is accepted, from whoever can publish on Redis.
   */
  redisSecret?: string;
  /**
   * Bytes of publications sent to Redis and not answered yet (plus 512 bytes per publication); past
   * it, publications reach this instance's subscribers only (`stats.dropped`) until Redis answers.
   * Bounds the memory a hung Redis can take. Default 4 MiB.
   */
  redisMaxPendingBytes?: number;
  /**
   * Largest message sent to or accepted from Redis, envelope included: a larger publication reaches
   * this instance's subscribers only, a larger message from Redis is ignored. Default 4 MiB.
   */
  redisMaxMessageBytes?: number;
  /**
   * SocketAPI's HTTP bridge: `POST /_broadcast` with `{"channel": name, "data": {...}}` runs the
   * channel method and publishes its result. Off unless given; loopback only unless `allowedHosts`.
   */
  broadcast?: BroadcastOptions;

  /** Authenticates the upgrade request before it becomes a WebSocket; refused: HTTP 401/403. */
  auth?: SocketAuthenticator;
  /**
   * Nest guards (with DI) run on the upgrade request, after `auth`: `switchToHttp().getRequest()` is
   * the request, with `user` set. A guard that refuses gives HTTP 403.
   */
  connectGuards?: Type<CanActivate>[];
  /**
   * How long `auth` and the connect guards may take for one upgrade. Past it the client gets HTTP 503
   * (`Handshake timed out`), its slot is freed, and a late answer is ignored. Default 10,000 ms.
   */
  handshakeTimeoutMs?: number;
  /**
   * Browser origins allowed to connect besides the server's own (`Origin` header); others get HTTP 403.
   * Strings are origins compared exactly (`'http://localhost:5173'`); RegExps are tested against the
   * `Origin` as `RegExp.test` does (anchor them: `/^https:\/\/[a-z]+\.example\.com$/`); `'*'` allows any origin;
   * a function decides alone. Clients that send no `Origin` (not browsers) always pass.
   * Default: only pages whose origin has the request's `Host` (host and port), as gorilla/websocket does.
   */
  allowedOrigins?: AllowedOrigins;
  /** Open connections per process; past it, upgrades get HTTP 503. Default 50,000. */
  maxConnections?: number;
  /**
   * Open connections (and handshakes under way) per client address; past it, upgrades get HTTP 429.
   * IPv6 clients count per /64 (one host's usual allocation), IPv4-mapped IPv6 as IPv4. Default: no limit.
   */
  maxConnectionsPerAddress?: number;
  /**
   * Proxies (addresses or CIDRs: `'10.0.0.0/8'`, `'::1'`) whose `X-Forwarded-For` is believed. When
   * the peer is one of them, the client's address is the rightmost address of that header that is not
   * a trusted proxy. It counts for `maxConnectionsPerAddress` and is `connection.clientAddress`.
   * Default: none (the header is never read).
   */
  trustedProxies?: string[];
  /** Per-connection rate limit; excess messages get `RATE_LIMITED`. Default: off. */
  rateLimit?: RateLimitOptions | false;
  /** Channels one connection may be subscribed to at once. Default 100. */
  maxSubscriptions?: number;
  /** Messages of one connection waiting for their turn; past it, `RATE_LIMITED`. Default 1,024. */
  maxPendingMessages?: number;
  /**
   * Bytes of one connection's frames waiting for their turn (see `concurrency`), refusals waiting
   * included (about 130 bytes each): a frame that does not fit gets `RATE_LIMITED` in its turn, and a
   * client that keeps on is closed with 1008. One frame may always wait, whatever its size.
   * Default 256 KiB (four frames of the default `maxPayload`).
   */
  maxPendingBytes?: number;
  /**
   * Bytes a connection may have waiting in its send buffer; past it the client reads too slowly and
   * is closed with 1013 (or, on a channel with `slowConsumer: 'drop'`, misses data frames). Default 4 MiB.
   */
  maxBufferedBytes?: number;
  /** WebSocket ping frames to detect dead peers. Default on (30 s / 10 s); `false` turns it off. */
  heartbeat?: HeartbeatOptions | false;
  /** Closes (1000) a connection that sent no message for this long. Default 0: never. */
  idleTimeoutMs?: number;
  /** On `app.close()`, how long in-flight messages may take before every socket is closed. Default 10 s. */
  shutdownTimeoutMs?: number;
  /**
   * Deepest nesting of a message's `data` (`{}` or `[]` is one level); a deeper message gets
   * `INVALID_MESSAGE` before any handler runs. Default 32.
   */
  maxDepth?: number;
  /**
   * Errors that clients can cause (a handler's unhandled exception, a reply that cannot be sent) are
   * logged with their stack once per kind per interval; the others of that interval are counted in one
   * line at its end. Warnings that clients can cause (a refused origin, a handshake timed out) are
   * logged at most once per interval, with the count since the last line. `0` logs every one.
   * Default 10,000 ms.
   */
  errorLogIntervalMs?: number;
  /**
   * Once the server closes a connection (close frame sent), how long the peer has to answer with its
   * own close frame before its TCP connection is cut. Default 3000 ms (ws's own default is 30 s).
   */
  closeTimeoutMs?: number;
}
