import type { CanActivate, Type } from '@nestjs/common';
import type { ClassTransformOptions } from 'class-transformer';
import type { ValidatorOptions } from 'class-validator';
import type { BroadcastOptions } from './broadcast-options.interface.js';
import type { SocketApiDocsOptions } from './docs-options.interface.js';
import type { SocketApiMetricsOptions } from './metrics-options.interface.js';
import type { SocketApiHealthOptions } from './health-options.interface.js';
import type { RedisConnection, RedisSettings } from './redis-broker-options.interface.js';
import type { SocketApiBroker } from './socket-api-broker.interface.js';
import type { SocketAuthenticator } from './socket-authenticator.interface.js';
import type { OutputValidationMode } from './socket-reply-type.interface.js';

export interface SocketApiValidationOptions {
  /**
   * Passed to class-validator's `validate()` for every DTO (an action's `validation` adds to it).
   * @default {}
   */
  validator?: ValidatorOptions;
  /**
   * Passed to class-transformer's `plainToInstance()` when a DTO is built from `data`.
   * @default {}
   */
  transformer?: ClassTransformOptions;
  /**
   * Strict input: a key of `data` that the handler's DTO does not declare, at any depth (nested
   * DTOs, arrays of them), is refused with `VALIDATION_ERROR`, its path in `errors` (`items.2.extra`),
   * beside the other validation errors; as do keys no `@Data('name')` reads. A DTO marked
   * `@OpenObject()` accepts undeclared keys. A handler's `strictInput` option overrides this.
   * @default false (undeclared keys are kept, as class-transformer copies them)
   */
  strictInput?: boolean;
  /**
   * At startup, the DTOs of every handler's `data` are checked for the class-validator mistakes that
   * leave nested data unvalidated (a nested DTO without `@ValidateNested()` or `@Type`, an array of
   * DTOs with a rule missing `each: true`): `'warn'` logs one line per mistake, naming class and
   * property; `'error'` refuses to start; `'off'` does not check.
   * @default 'warn'
   */
  startupCheck?: 'warn' | 'error' | 'off';
}

/** A token bucket per connection: `burst` messages at once, refilled at `perSecond`. */
export interface RateLimitOptions {
  perSecond: number;
  burst: number;
  /**
   * Refused messages in a row after which the connection is closed with 1008.
   * @default burst
   */
  closeAfter?: number;
}

/** Which browser origins may use the socket (and the HTTP bridge): see `allowedOrigins`. */
export type AllowedOrigins = ReadonlyArray<string | RegExp> | '*' | ((origin: string | undefined) => boolean);

export interface HeartbeatOptions {
  /**
   * How often every connection gets a WebSocket ping frame.
   * @default 30000
   */
  intervalMs?: number;
  /**
   * How long a peer has to answer with a pong before it is terminated (at most `intervalMs`).
   * @default 10000
   */
  timeoutMs?: number;
}

export interface SocketApiModuleOptions {
  /**
   * URL path of the WebSocket on the app's HTTP server.
   * @default '/'
   */
  path?: string;
  /**
   * Largest frame accepted, in bytes; a larger one closes the connection with 1009.
   * @default 65536 (64 KiB)
   */
  maxPayload?: number;
  /**
   * Messages of one connection handled at the same time. At 1, each reply is sent before the next
   * message is handled. Above 1, replies may come out of order and clients match them by `id`.
   * @default 1
   */
  concurrency?: number;
  /** class-validator and class-transformer options for DTOs. @default {} */
  validation?: SocketApiValidationOptions;
  /**
   * class-transformer options used when a reply or publication holds class instances.
   * @default undefined (class-transformer's own defaults)
   */
  serialization?: ClassTransformOptions;
  /**
   * What is sent for a handler's declared `reply` or `payload` type, for every handler that
   * declares one (a handler's own `outputValidation` wins): `'error'` and `'warn'` validate the value
   * and send only the properties its DTO declares, so that a field the DTO does not declare (a
   * password hash on an entity) never reaches a client; `'off'` sends what the handler returns. See
   * `OutputValidationMode` and docs/validation.md ("Replies and publications").
   * @default 'off' (the declared type documents the reply; opt in globally or per handler)
   */
  outputValidation?: OutputValidationMode;
  /**
   * Carries publications between the app's instances. Wins over `redis`.
   * @default an in-memory broker (one process), or a `RedisBroker` when `redis` is given
   */
  broker?: SocketApiBroker;
  /**
   * Scale out through Redis pub/sub. Either where Redis is: a URL (`'redis://host:6379'`), ioredis
   * options, or an ioredis client (kept yours: never closed by the library); or the full settings,
   * `{ connection, prefix, secret, connectTimeoutMs, maxPendingBytes, maxMessageBytes }`, the shape
   * `RedisBroker` and `SocketApiEmitter` take (told apart by its `connection` key). Publications then
   * reach the subscribers of every instance that uses the same Redis and prefix. Ignored when
   * `broker` is given.
   * @default undefined (no Redis: publications stay in this process)
   */
  redis?: RedisConnection | RedisSettings;
  /** @deprecated Use `redis: { connection, prefix }`. Logged once at startup when used. */
  redisPrefix?: string;
  /** @deprecated Use `redis: { connection, connectTimeoutMs }`. Logged once at startup when used. */
  redisConnectTimeoutMs?: number;
  /** @deprecated Use `redis: { connection, secret }`. Logged once at startup when used. */
  redisSecret?: string;
  /** @deprecated Use `redis: { connection, maxPendingBytes }`. Logged once at startup when used. */
  redisMaxPendingBytes?: number;
  /** @deprecated Use `redis: { connection, maxMessageBytes }`. Logged once at startup when used. */
  redisMaxMessageBytes?: number;
  /**
   * SocketAPI's HTTP bridge: `POST /_broadcast` with `{"channel": name, "data": {...}}` runs the
   * channel method and publishes its result. Loopback only unless `allowedHosts`.
   * @default undefined (off)
   */
  broadcast?: BroadcastOptions;
  /**
   * Generated documentation: an AsyncAPI 3.0 document at `{path}/asyncapi.json` and an interactive
   * page at `path` (`'/socket-docs'`) to read it and try the API over a live socket. `true` serves
   * them with the defaults of `SocketApiDocsOptions`.
   * @default false (off: nothing is served)
   */
  docs?: SocketApiDocsOptions | boolean;
  /**
   * Prometheus metrics (needs `prom-client`, an optional peer dependency): connections, frames,
   * action durations, errors, closes, subscriptions, the broker; served at `path` (`'/metrics'`).
   * `true` uses the defaults of `SocketApiMetricsOptions`. Off, nothing is counted.
   * @default false (off: prom-client is not loaded, nothing is served)
   */
  metrics?: SocketApiMetricsOptions | boolean;
  /**
   * Liveness and readiness probes for an orchestrator: `GET /health/live` and `GET /health/ready`
   * (see `SocketApiHealthOptions`). Off by default, because an app may serve its own `/health`
   * routes: these would answer first. `true` serves them at the default paths.
   * @default false (off: nothing is served)
   */
  health?: SocketApiHealthOptions | boolean;
  /**
   * An OpenTelemetry span per action and per subscribe, through `@opentelemetry/api` (an optional peer
   * dependency: install it; the app registers its SDK as usual). Opt-in: the package may be installed
   * without the app meaning to trace (another dependency brings it).
   * @default false (off: nothing is loaded, nothing is traced)
   */
  tracing?: boolean;

  /**
   * Authenticates the upgrade request before it becomes a WebSocket; refused: HTTP 401/403.
   * @default undefined (every client is accepted, without an identity)
   */
  auth?: SocketAuthenticator;
  /**
   * Nest guards (with DI) run on the upgrade request, after `auth`: `switchToHttp().getRequest()` is
   * the request, with `user` set. A guard that refuses gives HTTP 403.
   * @default []
   */
  connectGuards?: Type<CanActivate>[];
  /**
   * How long `auth` and the connect guards may take for one upgrade. Past it the client gets HTTP 503
   * (`Handshake timed out`), its slot is freed, and a late answer is ignored.
   * @default 10000
   */
  handshakeTimeoutMs?: number;
  /**
   * Browser origins allowed to connect besides the server's own (`Origin` header); others get HTTP 403.
   * Strings are origins compared exactly (`'http://localhost:5173'`); RegExps are tested against the
   * `Origin` as `RegExp.test` does (anchor them: `/^https:\/\/[a-z]+\.example\.com$/`); `'*'` allows any origin;
   * a function decides alone. Clients that send no `Origin` (not browsers) always pass.
   * @default undefined (only pages whose origin has the request's `Host`, host and port, as gorilla/websocket does)
   */
  allowedOrigins?: AllowedOrigins;
  /**
   * Open connections per process; past it, upgrades get HTTP 503.
   * @default 50000
   */
  maxConnections?: number;
  /**
   * Open connections (and handshakes under way) per client address; past it, upgrades get HTTP 429.
   * IPv6 clients count per /64 (one host's usual allocation), IPv4-mapped IPv6 as IPv4.
   * @default Infinity (no limit)
   */
  maxConnectionsPerAddress?: number;
  /**
   * Open connections (and handshakes under way) per user, over every instance with the Redis broker;
   * past it, upgrades get HTTP 429 (`Too many connections for this user`). The user is the identity's
   * `subject` (the JWT `sub`); connections without one are not counted. While Redis is down, each
   * instance counts only its own (fail-open). See docs/control.md.
   * @default Infinity (no limit)
   */
  maxConnectionsPerUser?: number;
  /**
   * How long a `SocketApiConnections` call waits for the other instances' answers (and for Redis,
   * when `maxConnectionsPerUser` counts a handshake) before it gives up with `ControlUnavailableError`.
   * @default 2000
   */
  controlTimeoutMs?: number;
  /**
   * Proxies (addresses or CIDRs: `'10.0.0.0/8'`, `'::1'`) whose `X-Forwarded-For` is believed. When
   * the peer is one of them, the client's address is the rightmost address of that header that is not
   * a trusted proxy. It counts for `maxConnectionsPerAddress` and is `connection.clientAddress`.
   * @default [] (the header is never read)
   */
  trustedProxies?: string[];
  /**
   * Per-connection rate limit; excess messages get `RATE_LIMITED`.
   * @default false (off)
   */
  rateLimit?: RateLimitOptions | false;
  /**
   * Channels one connection may be subscribed to at once.
   * @default 100
   */
  maxSubscriptions?: number;
  /**
   * Messages of one connection waiting for their turn; past it, `RATE_LIMITED`.
   * @default 1024
   */
  maxPendingMessages?: number;
  /**
   * Bytes of one connection's frames waiting for their turn (see `concurrency`), refusals waiting
   * included (about 130 bytes each): a frame that does not fit gets `RATE_LIMITED` in its turn, and a
   * client that keeps on is closed with 1008. One frame may always wait, whatever its size.
   * @default 262144 (256 KiB: four frames of the default `maxPayload`)
   */
  maxPendingBytes?: number;
  /**
   * Bytes a connection may have waiting in its send buffer; past it the client reads too slowly and
   * is closed with 1013 (or, on a channel with `slowConsumer: 'drop'`, misses data frames).
   * @default 4194304 (4 MiB)
   */
  maxBufferedBytes?: number;
  /**
   * WebSocket ping frames to detect dead peers; `false` turns them off.
   * @default { intervalMs: 30000, timeoutMs: 10000 }
   */
  heartbeat?: HeartbeatOptions | false;
  /**
   * Closes (1000) a connection that sent no message for this long; 0: never.
   * @default 0
   */
  idleTimeoutMs?: number;
  /**
   * On `app.close()`, how long in-flight messages may take before every socket is closed.
   * @default 10000
   */
  shutdownTimeoutMs?: number;
  /**
   * Deepest nesting of a message's `data` (`{}` or `[]` is one level); a deeper message gets
   * `INVALID_MESSAGE` before any handler runs.
   * @default 32
   */
  maxDepth?: number;
  /**
   * Errors that clients can cause (a handler's unhandled exception, a reply that cannot be sent) are
   * logged with their stack once per kind per interval; the others of that interval are counted in one
   * line at its end. Warnings that clients can cause (a refused origin, a handshake timed out) are
   * logged at most once per interval, with the count since the last line. `0` logs every one.
   * @default 10000
   */
  errorLogIntervalMs?: number;
  /**
   * Once the server closes a connection (close frame sent), how long the peer has to answer with its
   * own close frame before its TCP connection is cut (ws's own default is 30 s).
   * @default 3000
   */
  closeTimeoutMs?: number;
}
