/**
 * Every default of the library, in one place: the module options' (see `SocketApiModuleOptions`,
 * whose `@default` tags name these values) and those of the Redis settings that `RedisBroker` and
 * `SocketApiEmitter` share. Options are resolved against them once, at startup
 * (`resolve-options.ts`); nothing else fills in a default.
 */
export const DEFAULTS = {
  path: '/',
  maxPayload: 64 * 1024,
  concurrency: 1,
  handshakeTimeoutMs: 10_000,
  maxConnections: 50_000,
  /** No limit per client address. */
  maxConnectionsPerAddress: Infinity,
  /** No limit per user. */
  maxConnectionsPerUser: Infinity,
  controlTimeoutMs: 2000,
  maxSubscriptions: 100,
  maxPendingMessages: 1024,
  /** Four frames of the default `maxPayload`. */
  maxPendingBytes: 256 * 1024,
  maxBufferedBytes: 4 * 1024 * 1024,
  heartbeat: { intervalMs: 30_000, timeoutMs: 10_000 },
  /** Never closes an idle connection. */
  idleTimeoutMs: 0,
  shutdownTimeoutMs: 10_000,
  maxDepth: 32,
  /** Declared reply types document the replies; projection is opted into (see `OutputValidationMode`). */
  outputValidation: 'off',
  errorLogIntervalMs: 10_000,
  /** ws's own default is 30 s: a peer that ignores our close frame is cut much sooner. */
  closeTimeoutMs: 3000,
  validation: { strictInput: false, startupCheck: 'warn' },
  broadcast: { path: '/_broadcast', maxBodyBytes: 1024 * 1024 },
  docs: { path: '/socket-docs', title: 'SocketAPI', version: '1.0.0' },
  metrics: { path: '/metrics', prefix: 'socketapi_' },
  health: { livePath: '/health/live', readyPath: '/health/ready' },
  /** How long a history channel's epoch and top outlive its entries, at least (`history.metaTtl`). */
  historyMetaTtlMs: 3_600_000,
  redis: {
    prefix: 'socketapi',
    connectTimeoutMs: 5000,
    maxPendingBytes: 4 * 1024 * 1024,
    maxMessageBytes: 4 * 1024 * 1024,
    presenceTtlMs: 15_000,
    presenceIntervalMs: 5_000,
    commandTimeoutMs: 5_000,
  },
} as const;
