import type { SocketApiDocsOptions } from '../interfaces/docs-options.interface.js';
import type { SocketApiMetricsOptions } from '../interfaces/metrics-options.interface.js';
import type { SocketApiHealthOptions } from '../interfaces/health-options.interface.js';
import type { RedisSettings } from '../interfaces/redis-broker-options.interface.js';
import type { SocketApiModuleOptions } from '../interfaces/socket-api-options.interface.js';
import { deprecatedModuleOption } from '../logging/log.messages.js';
import { DEFAULTS } from './defaults.js';
import { isRedisSettings, resolveRedisSettings } from './redis-settings.js';
import type {
  ResolvedDocsOptions,
  ResolvedMetricsOptions,
  ResolvedHealthOptions,
  ResolvedRedisSettings,
  ResolvedSocketApiOptions,
} from './resolved-options.js';

/** The module's old Redis options, each by its name in the `redis` settings object. */
export const DEPRECATED_REDIS_OPTIONS = {
  redisPrefix: 'prefix',
  redisConnectTimeoutMs: 'connectTimeoutMs',
  redisSecret: 'secret',
  redisMaxPendingBytes: 'maxPendingBytes',
  redisMaxMessageBytes: 'maxMessageBytes',
} as const satisfies Partial<Record<keyof SocketApiModuleOptions, keyof RedisSettings>>;

type DeprecatedRedisOption = keyof typeof DEPRECATED_REDIS_OPTIONS;

/**
 * The one place where module options get their defaults: `options` (already validated) become the
 * object every part of the library reads. A deprecated option still takes effect, and `warn` is
 * told about it once, naming its new spelling.
 */
export function resolveOptions(
  options: SocketApiModuleOptions,
  warn: (message: string) => void,
): ResolvedSocketApiOptions {
  const { heartbeat, rateLimit, broadcast, validation, docs, metrics, health } = options;
  return {
    path: options.path ?? DEFAULTS.path,
    maxPayload: options.maxPayload ?? DEFAULTS.maxPayload,
    concurrency: options.concurrency ?? DEFAULTS.concurrency,
    validation: {
      validator: validation?.validator ?? {},
      transformer: validation?.transformer ?? {},
      strictInput: validation?.strictInput ?? DEFAULTS.validation.strictInput,
      startupCheck: validation?.startupCheck ?? DEFAULTS.validation.startupCheck,
    },
    serialization: options.serialization,
    outputValidation: options.outputValidation ?? DEFAULTS.outputValidation,
    broker: options.broker,
    redis: redisOf(options, warn),
    broadcast: broadcast && {
      path: broadcast.path ?? DEFAULTS.broadcast.path,
      allowedHosts: broadcast.allowedHosts ?? [],
      token: broadcast.token,
      maxBodyBytes: broadcast.maxBodyBytes ?? DEFAULTS.broadcast.maxBodyBytes,
    },
    docs: docs ? resolveDocs(docs === true ? {} : docs) : undefined,
    metrics: metrics ? resolveMetrics(metrics === true ? {} : metrics) : undefined,
    health: health ? resolveHealth(health === true ? {} : health) : undefined,
    tracing: options.tracing ?? false,
    auth: options.auth,
    connectGuards: options.connectGuards ?? [],
    handshakeTimeoutMs: options.handshakeTimeoutMs ?? DEFAULTS.handshakeTimeoutMs,
    allowedOrigins: options.allowedOrigins,
    maxConnections: options.maxConnections ?? DEFAULTS.maxConnections,
    maxConnectionsPerAddress: options.maxConnectionsPerAddress ?? DEFAULTS.maxConnectionsPerAddress,
    maxConnectionsPerUser: options.maxConnectionsPerUser ?? DEFAULTS.maxConnectionsPerUser,
    controlTimeoutMs: options.controlTimeoutMs ?? DEFAULTS.controlTimeoutMs,
    trustedProxies: options.trustedProxies ?? [],
    rateLimit: rateLimit
      ? { perSecond: rateLimit.perSecond, burst: rateLimit.burst, closeAfter: rateLimit.closeAfter ?? rateLimit.burst }
      : false,
    maxSubscriptions: options.maxSubscriptions ?? DEFAULTS.maxSubscriptions,
    maxPendingMessages: options.maxPendingMessages ?? DEFAULTS.maxPendingMessages,
    maxPendingBytes: options.maxPendingBytes ?? DEFAULTS.maxPendingBytes,
    maxBufferedBytes: options.maxBufferedBytes ?? DEFAULTS.maxBufferedBytes,
    heartbeat:
      heartbeat === false
        ? false
        : {
            intervalMs: heartbeat?.intervalMs ?? DEFAULTS.heartbeat.intervalMs,
            timeoutMs: heartbeat?.timeoutMs ?? DEFAULTS.heartbeat.timeoutMs,
          },
    idleTimeoutMs: options.idleTimeoutMs ?? DEFAULTS.idleTimeoutMs,
    shutdownTimeoutMs: options.shutdownTimeoutMs ?? DEFAULTS.shutdownTimeoutMs,
    maxDepth: options.maxDepth ?? DEFAULTS.maxDepth,
    errorLogIntervalMs: options.errorLogIntervalMs ?? DEFAULTS.errorLogIntervalMs,
    closeTimeoutMs: options.closeTimeoutMs ?? DEFAULTS.closeTimeoutMs,
  };
}

/** The Redis settings, from `redis` alone or from `redis` and the deprecated `redisX` options. */
function redisOf(options: SocketApiModuleOptions, warn: (message: string) => void): ResolvedRedisSettings | undefined {
  const used = (Object.keys(DEPRECATED_REDIS_OPTIONS) as DeprecatedRedisOption[]).filter(
    (name) => options[name] !== undefined,
  );
  for (const name of used) warn(deprecatedModuleOption(name, DEPRECATED_REDIS_OPTIONS[name]));
  const { redis } = options;
  if (redis === undefined) return undefined;
  if (isRedisSettings(redis)) return resolveRedisSettings(redis, 'redis', warn);
  // The validator refuses the old options beside a settings object, so they only combine with a connection.
  const settings: RedisSettings = {
    connection: redis,
    prefix: options.redisPrefix,
    connectTimeoutMs: options.redisConnectTimeoutMs,
    secret: options.redisSecret,
    maxPendingBytes: options.redisMaxPendingBytes,
    maxMessageBytes: options.redisMaxMessageBytes,
  };
  return resolveRedisSettings(settings, 'redis', warn);
}

function resolveDocs(docs: SocketApiDocsOptions): ResolvedDocsOptions {
  return {
    path: docs.path ?? DEFAULTS.docs.path,
    token: docs.token,
    title: docs.title ?? DEFAULTS.docs.title,
    version: docs.version ?? DEFAULTS.docs.version,
    description: docs.description,
  };
}

function resolveMetrics(metrics: SocketApiMetricsOptions): ResolvedMetricsOptions {
  return {
    registry: metrics.registry,
    path: metrics.path ?? DEFAULTS.metrics.path,
    token: metrics.token,
    prefix: metrics.prefix ?? DEFAULTS.metrics.prefix,
  };
}

function resolveHealth(health: SocketApiHealthOptions): ResolvedHealthOptions {
  return {
    livePath: health.livePath ?? DEFAULTS.health.livePath,
    readyPath: health.readyPath ?? DEFAULTS.health.readyPath,
  };
}
