import type { CanActivate, Type } from '@nestjs/common';
import type { ClassTransformOptions } from 'class-transformer';
import type { ValidatorOptions } from 'class-validator';
import type { PrometheusRegistry } from '../interfaces/metrics-options.interface.js';
import type { RedisConnection } from '../interfaces/redis-broker-options.interface.js';
import type { SocketApiBroker } from '../interfaces/socket-api-broker.interface.js';
import type { AllowedOrigins } from '../interfaces/socket-api-options.interface.js';
import type { SocketAuthenticator } from '../interfaces/socket-authenticator.interface.js';
import type { OutputValidationMode } from '../interfaces/socket-reply-type.interface.js';

/** Injection token of the `ResolvedSocketApiOptions` (internal: apps inject `SOCKET_API_OPTIONS`, what they gave). */
export const RESOLVED_SOCKET_API_OPTIONS = Symbol('RESOLVED_SOCKET_API_OPTIONS');

export interface ResolvedRateLimit {
  perSecond: number;
  burst: number;
  closeAfter: number;
}

export interface ResolvedHeartbeat {
  intervalMs: number;
  timeoutMs: number;
}

export interface ResolvedRedisSettings {
  connection: RedisConnection;
  prefix: string;
  connectTimeoutMs: number;
  /** Absent: messages on Redis are not signed. */
  secret?: string;
  maxPendingBytes: number;
  maxMessageBytes: number;
  presenceTtlMs: number;
  presenceIntervalMs: number;
  commandTimeoutMs: number;
}

export interface ResolvedBroadcastOptions {
  path: string;
  allowedHosts: string[];
  /** Absent: no bearer token is asked for. */
  token?: string;
  maxBodyBytes: number;
}

export interface ResolvedDocsOptions {
  path: string;
  /** Absent: the document is served to anyone. */
  token?: string;
  title: string;
  version: string;
  description?: string;
}

export interface ResolvedMetricsOptions {
  /** Absent: the module makes a registry of its own. */
  registry?: PrometheusRegistry;
  /** `false`: the scrape is not served. */
  path: string | false;
  /** Absent: no bearer token is asked for. */
  token?: string;
  prefix: string;
}

export interface ResolvedHealthOptions {
  livePath: string;
  readyPath: string;
}

/**
 * The module options as the library reads them: validated, defaults filled in, old spellings mapped
 * to the new ones. Only what has no default value is optional (its absence means "off" or "none").
 */
export interface ResolvedSocketApiOptions {
  path: string;
  maxPayload: number;
  concurrency: number;
  validation: {
    validator: ValidatorOptions;
    transformer: ClassTransformOptions;
    strictInput: boolean;
    startupCheck: 'warn' | 'error' | 'off';
  };
  serialization?: ClassTransformOptions;
  outputValidation: OutputValidationMode;
  broker?: SocketApiBroker;
  redis?: ResolvedRedisSettings;
  broadcast?: ResolvedBroadcastOptions;
  /** Absent: no document and no page are served. */
  docs?: ResolvedDocsOptions;
  /** Absent: no metrics are kept. */
  metrics?: ResolvedMetricsOptions;
  /** Absent: no probe is served. */
  health?: ResolvedHealthOptions;
  tracing: boolean;
  auth?: SocketAuthenticator;
  connectGuards: Type<CanActivate>[];
  handshakeTimeoutMs: number;
  /** Absent: same-origin pages only (see `originPolicy`). */
  allowedOrigins?: AllowedOrigins;
  maxConnections: number;
  /** `Infinity`: no limit. */
  maxConnectionsPerAddress: number;
  /** `Infinity`: no limit. */
  maxConnectionsPerUser: number;
  controlTimeoutMs: number;
  trustedProxies: string[];
  rateLimit: ResolvedRateLimit | false;
  maxSubscriptions: number;
  maxPendingMessages: number;
  maxPendingBytes: number;
  maxBufferedBytes: number;
  heartbeat: ResolvedHeartbeat | false;
  idleTimeoutMs: number;
  shutdownTimeoutMs: number;
  maxDepth: number;
  errorLogIntervalMs: number;
  closeTimeoutMs: number;
}
