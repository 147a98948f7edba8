import type {
  DeprecatedRedisSettings,
  RedisConnection,
  RedisSettings,
} from '../interfaces/redis-broker-options.interface.js';
import { deprecatedRedisKey } from '../logging/log.messages.js';
import { DEFAULTS } from './defaults.js';
import type { ResolvedRedisSettings } from './resolved-options.js';

/**
 * Whether the `redis` module option is the settings object rather than where Redis is. Neither a URL,
 * nor ioredis options, nor an ioredis client has a `connection` member, so that key tells them apart.
 */
export function isRedisSettings(value: RedisConnection | RedisSettings): value is RedisSettings {
  return typeof value === 'object' && value !== null && 'connection' in value;
}

/**
 * Redis settings with their defaults, for the module, `RedisBroker` and `SocketApiEmitter` alike.
 * The old spelling (`redis` for `connection`) still works: `warn` is told once, naming `owner`.
 */
export function resolveRedisSettings(
  settings: RedisSettings | DeprecatedRedisSettings,
  owner: string,
  warn: (message: string) => void,
): ResolvedRedisSettings {
  let connection: RedisConnection;
  if ('connection' in settings) {
    connection = settings.connection;
  } else {
    warn(deprecatedRedisKey(owner));
    connection = settings.redis;
  }
  const redis = DEFAULTS.redis;
  return {
    connection,
    prefix: settings.prefix ?? redis.prefix,
    connectTimeoutMs: settings.connectTimeoutMs ?? redis.connectTimeoutMs,
    secret: settings.secret,
    maxPendingBytes: settings.maxPendingBytes ?? redis.maxPendingBytes,
    maxMessageBytes: settings.maxMessageBytes ?? redis.maxMessageBytes,
    presenceTtlMs: settings.presenceTtlMs ?? redis.presenceTtlMs,
    presenceIntervalMs: settings.presenceIntervalMs ?? redis.presenceIntervalMs,
    commandTimeoutMs: settings.commandTimeoutMs ?? redis.commandTimeoutMs,
  };
}
