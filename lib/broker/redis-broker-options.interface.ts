import type { Redis, RedisOptions } from 'ioredis';

/**
 * Where Redis is: a URL (`redis://user:pass@host:6379/0`, `rediss://` for TLS), ioredis options, or
 * an ioredis client the app already has. A client you pass stays yours: it is used as it is (the
 * library opens its own connections beside it when it needs them) and it is never closed for you.
 */
export type RedisConnection = string | RedisOptions | Redis;

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
  logger?: RedisBrokerLogger;
}

/** Counters of a `RedisBroker`, since it started. */
export interface RedisBrokerStats {
  /** Publications made here that Redis accepted (one PUBLISH each, whatever the subscriber count). */
  published: number;
  /** Publications made here that never reached Redis (it was down): their local delivery happened. */
  dropped: number;
  /** Publications from other instances received (own publications coming back are not counted). */
  received: number;
  /** Times the connection to Redis was lost after startup. */
  outages: number;
}
