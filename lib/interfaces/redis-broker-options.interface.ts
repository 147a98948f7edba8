import type {
  IoRedisClient,
  IoRedisCluster,
  IoRedisClusterNode,
  IoRedisClusterOptions,
  IoRedisOptions,
} from './ioredis-types.js';

/**
 * A Redis Cluster (Redis >= 7): publications go through sharded pub/sub (`SPUBLISH`/`SSUBSCRIBE`), each
 * channel on the shard that owns its hash slot, with its history and presence keys.
 */
export interface RedisClusterConnection {
  cluster: {
    /** Some nodes of the cluster (one reachable node is enough: the others are discovered). */
    nodes: IoRedisClusterNode[];
    /**
     * ioredis's Cluster options (`redisOptions` for a node's password or TLS, `natMap`, ...). The library
     * sets, on its own connections, what its guarantees need: `shardedSubscribers: true` on the subscriber,
     * no offline queue and no retry of a command that may have run (`retryDelayOnFailover: 0`,
     * `retryDelayOnClusterDown: 0`) on the publisher.
     * @default {} (with `slotsRefreshInterval: 2000`: a topology change is noticed within 2 s even when no
     * command meets a `MOVED`)
     */
    options?: IoRedisClusterOptions;
  };
}

/**
 * Where Redis is: a URL (`redis://user:pass@host:6379/0`, `rediss://` for TLS), ioredis options, an
 * ioredis client the app already has, a Redis Cluster (`{ cluster: { nodes } }`, see
 * `RedisClusterConnection`), or an ioredis `Cluster` the app already has. A client you pass stays yours:
 * it is used as it is (the library opens its own connections beside it when it needs them) and it is
 * never closed for you.
 */
export type RedisConnection = string | IoRedisOptions | IoRedisClient | RedisClusterConnection | IoRedisCluster;

/** Where the broker reports an outage and its end; Nest's `Logger` by default. */
export interface RedisBrokerLogger {
  log(message: string): void;
  warn(message: string): void;
  error(message: string, trace?: string): void;
}

/**
 * Where Redis is and how the app's instances share it: the one shape taken by the module's `redis`
 * option, `RedisBroker` and `SocketApiEmitter`, so that a settings object can be passed to all three.
 * An emitter must use the app's `prefix` and `secret` to reach its subscribers.
 */
export interface RedisSettings {
  connection: RedisConnection;
  /**
   * Redis channels are named `${prefix}:${channel}` (`${prefix}:{${channel}}` on a Redis Cluster: the hash
   * tag puts a channel's pub/sub channel in the hash slot of its history and presence keys).
   * @default 'socketapi'
   */
  prefix?: string;
  /**
   * How long startup (`connect()`, or an emitter's publication) waits for Redis before failing with
   * `Cannot reach Redis at ...`.
   * @default 5000
   */
  connectTimeoutMs?: number;
  /**
   * Shared secret of the app's instances and emitters: every message on Redis is signed (HMAC-SHA256),
   * and unsigned or wrongly signed ones are ignored (`stats.rejected`). Without it, any well-formed
   * publication on `${prefix}:*` is accepted, from whoever can publish on Redis.
   * @default undefined (messages are not signed)
   */
  secret?: string;
  /**
   * Bytes of publications (plus 512 bytes each) sent to Redis and not answered yet. Past it, the
   * broker's publications reach this instance's subscribers only (`stats.dropped`), and an emitter's
   * `publish` rejects at once, until Redis answers. Bounds the memory a hung Redis can take.
   * @default 4194304 (4 MiB)
   */
  maxPendingBytes?: number;
  /**
   * Largest message sent to or accepted from Redis, envelope included: a larger publication reaches
   * this instance's subscribers only (an emitter rejects it), a larger message from Redis is ignored.
   * @default 4194304 (4 MiB)
   */
  maxMessageBytes?: number;
  /**
   * How long a presence member outlives its instance's last refresh: the leaves of an instance that
   * dies without a word (`kill -9`) are sent at most `presenceTtlMs + presenceIntervalMs` after it died.
   * At least twice `presenceIntervalMs`.
   * @default 15000
   */
  presenceTtlMs?: number;
  /**
   * How often each instance refreshes its presence members in Redis and sweeps the expired ones.
   * @default 5000
   */
  presenceIntervalMs?: number;
  /**
   * How long a caller waits for Redis to answer one command of the history and presence stores (and a
   * subscribe to a channel with history, for Redis's SUBSCRIBE acknowledgement). Past it, against a
   * Redis that accepts TCP but does not answer (stopped, a stalled host), the client gets `UNAVAILABLE`
   * (subscribe, `presence` query, an action awaiting its publication) and the HTTP bridge answers 503.
   * A history publication reported failed this way may still be stored and delivered once Redis
   * answers: its script was sent, and is not withdrawn.
   * @default 5000
   */
  commandTimeoutMs?: number;
}

/** `RedisSettings` as spelled before 0.2: the connection under `redis`. Accepted, with a deprecation warning. */
export interface DeprecatedRedisSettings extends Omit<RedisSettings, 'connection'> {
  /** @deprecated Use `connection` (same values). */
  redis: RedisConnection;
}

export type RedisBrokerOptions = (RedisSettings | DeprecatedRedisSettings) & {
  /** Where the broker reports an outage and its end. @default Nest's `Logger` ('SocketApiRedisBroker') */
  logger?: RedisBrokerLogger;
};

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
  /**
   * Publications to channels with history that failed (their Promise rejected; nothing was sent): Redis was
   * down or not answering, refused the script, or the publication was larger than `maxMessageBytes`.
   */
  historyFailed: number;
}
