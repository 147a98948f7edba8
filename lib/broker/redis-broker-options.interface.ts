import type { IoRedisClient, IoRedisOptions } from './ioredis-types.js';

/**
 * Where Redis is: a URL (`redis://user:pass@host:6379/0`, `rediss://` for TLS), ioredis options, or
 * an ioredis client the app already has. A client you pass stays yours: it is used as it is (the
 * library opens its own connections beside it when it needs them) and it is never closed for you.
 */
export type RedisConnection = string | IoRedisOptions | IoRedisClient;

/** Where the broker reports an outage and its end; Nest's `Logger` by default. */
export interface RedisBrokerLogger {
  log(message: string): void;
  warn(message: string): void;
  error(message: string, trace?: string): void;
}

export interface RedisBrokerOptions {
  redis: RedisConnection;
  /** Redis channels are named `${prefix}:${channel}`. Default `'socketapi'`. */
  prefix?: string;
  /** How long `connect()` (the app's startup) waits for Redis before failing. Default 5000 ms. */
  connectTimeoutMs?: number;
  /**
   * Shared secret of the app's instances (and emitters): messages are signed (HMAC-SHA256), and
   * those without a valid signature are refused. Default: none (messages are not signed, and any
   * well-formed publication is accepted).
   */
  secret?: string;
  /**
   * Bytes of publications (plus 512 bytes per command) sent to Redis and not answered yet; past
   * it, publications are dropped (`stats.dropped`) until Redis answers. Bounds memory when Redis
   * hangs. Default 4 MiB.
   */
  maxPendingBytes?: number;
  /** Largest message sent or accepted on Redis, envelope included; larger ones are dropped or refused. Default 4 MiB. */
  maxMessageBytes?: number;
  logger?: RedisBrokerLogger;
}

/** Counters of a `RedisBroker`, since it started. */
export interface RedisBrokerStats {
  /** Publications made here that Redis accepted (one PUBLISH each, whatever the subscriber count). */
  published: number;
  /**
   * Publications made here that never reached Redis (it was down, it did not answer the ones
   * before fast enough, or the publication was larger than `maxMessageBytes`): their local
   * delivery happened.
   */
  dropped: number;
  /** Publications from other instances received (own publications coming back are not counted). */
  received: number;
  /**
   * Messages on the app's Redis channels that were not valid publications, and were ignored: not a
   * v1 (or v0) envelope, bad or missing signature when a secret is set, too large, or a frame that is
   * not a `data` frame of that channel.
   */
  rejected: number;
  /** Times the connection to Redis was lost after startup. */
  outages: number;
}
