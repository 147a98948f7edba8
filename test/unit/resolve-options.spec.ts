import 'reflect-metadata';
import { readFileSync } from 'node:fs';
import { RedisBroker, SocketApiEmitter, type SocketApiModuleOptions } from '../../lib/index.js';
import { resolveOptions } from '../../lib/options/resolve-options.js';
import type { ResolvedSocketApiOptions } from '../../lib/options/resolved-options.js';

/** Resolves `options`, keeping what would be logged as warnings. */
function resolve(options: SocketApiModuleOptions): { resolved: ResolvedSocketApiOptions; warnings: string[] } {
  const warnings: string[] = [];
  return { resolved: resolveOptions(options, (message) => warnings.push(message)), warnings };
}

describe('resolveOptions', () => {
  it('fills in every default, as documented', () => {
    const { resolved, warnings } = resolve({});
    expect(resolved).toEqual({
      path: '/',
      maxPayload: 65536,
      concurrency: 1,
      validation: { validator: {}, transformer: {}, strictInput: false, startupCheck: 'warn' },
      serialization: undefined,
      outputValidation: 'off',
      broker: undefined,
      redis: undefined,
      broadcast: undefined,
      auth: undefined,
      connectGuards: [],
      handshakeTimeoutMs: 10000,
      allowedOrigins: undefined,
      maxConnections: 50000,
      maxConnectionsPerAddress: Infinity,
      maxConnectionsPerUser: Infinity,
      controlTimeoutMs: 2000,
      trustedProxies: [],
      rateLimit: false,
      maxSubscriptions: 100,
      maxPendingMessages: 1024,
      maxPendingBytes: 262144,
      maxBufferedBytes: 4194304,
      heartbeat: { intervalMs: 30000, timeoutMs: 10000 },
      idleTimeoutMs: 0,
      shutdownTimeoutMs: 10000,
      maxDepth: 32,
      errorLogIntervalMs: 10000,
      closeTimeoutMs: 3000,
      tracing: false,
    });
    expect(resolved.health).toBeUndefined();
    expect(warnings).toEqual([]);
  });

  it('matches every numeric @default of the options interface', () => {
    const source = readFileSync(
      new URL('../../lib/interfaces/socket-api-options.interface.ts', import.meta.url),
      'utf8',
    );
    const body = source.slice(source.indexOf('export interface SocketApiModuleOptions'));
    const documented = [...body.matchAll(/@default (\d+|Infinity)\b[^\n]*\n\s*\*\/\n\s*(\w+)\?:/g)];
    expect(documented.length).toBeGreaterThanOrEqual(14);
    const { resolved } = resolve({});
    for (const [, value, name] of documented) {
      expect([name, resolved[name as keyof ResolvedSocketApiOptions]]).toEqual([name, Number(value)]);
    }
  });

  it('keeps what is given and defaults the rest, member by member', () => {
    const { resolved } = resolve({
      heartbeat: { intervalMs: 1000 },
      rateLimit: { perSecond: 5, burst: 3 },
      broadcast: { token: 't' },
      validation: { validator: { whitelist: true } },
      maxConnectionsPerAddress: 4,
    });
    expect(resolved.heartbeat).toEqual({ intervalMs: 1000, timeoutMs: 10000 });
    expect(resolved.rateLimit).toEqual({ perSecond: 5, burst: 3, closeAfter: 3 });
    expect(resolved.broadcast).toEqual({ path: '/_broadcast', allowedHosts: [], token: 't', maxBodyBytes: 1048576 });
    expect(resolved.validation).toEqual({
      validator: { whitelist: true },
      transformer: {},
      strictInput: false,
      startupCheck: 'warn',
    });
    expect(resolved.maxConnectionsPerAddress).toBe(4);
    expect(resolve({ metrics: true }).resolved.metrics).toEqual({ path: '/metrics', prefix: 'socketapi_' });
    expect(resolve({ metrics: { path: false, token: 't' } }).resolved.metrics).toEqual({
      path: false,
      token: 't',
      prefix: 'socketapi_',
    });
    expect(resolve({ health: true }).resolved.health).toEqual({ livePath: '/health/live', readyPath: '/health/ready' });
    expect(resolve({ health: { readyPath: '/readyz' } }).resolved.health).toEqual({
      livePath: '/health/live',
      readyPath: '/readyz',
    });
    expect(resolve({ health: false }).resolved.health).toBeUndefined();
    expect(resolve({ heartbeat: false, rateLimit: false }).resolved).toMatchObject({
      heartbeat: false,
      rateLimit: false,
    });
  });

  it('redis as a connection or as the settings object: the same settings, with their defaults', () => {
    const defaults = {
      prefix: 'socketapi',
      connectTimeoutMs: 5000,
      maxPendingBytes: 4194304,
      maxMessageBytes: 4194304,
      presenceTtlMs: 15000,
      presenceIntervalMs: 5000,
      commandTimeoutMs: 5000,
    };
    expect(resolve({ redis: 'redis://h:6379' }).resolved.redis).toEqual({
      connection: 'redis://h:6379',
      ...defaults,
      secret: undefined,
    });
    const options = { host: 'h', port: 6380 };
    expect(resolve({ redis: options }).resolved.redis).toEqual({ connection: options, ...defaults, secret: undefined });
    const { resolved, warnings } = resolve({
      redis: { connection: 'redis://h', prefix: 'app', secret: 's', maxMessageBytes: 9, presenceTtlMs: 4000 },
    });
    expect(resolved.redis).toEqual({
      ...defaults,
      connection: 'redis://h',
      prefix: 'app',
      secret: 's',
      maxMessageBytes: 9,
      presenceTtlMs: 4000,
    });
    expect(warnings).toEqual([]);
  });

  it('the old Redis options still take effect, each with a warning naming its new spelling', () => {
    const { resolved, warnings } = resolve({
      redis: 'redis://h',
      redisPrefix: 'old',
      redisConnectTimeoutMs: 700,
      redisSecret: 'shh',
      redisMaxPendingBytes: 1000,
      redisMaxMessageBytes: 2000,
    });
    expect(resolved.redis).toEqual({
      connection: 'redis://h',
      prefix: 'old',
      connectTimeoutMs: 700,
      secret: 'shh',
      maxPendingBytes: 1000,
      maxMessageBytes: 2000,
      presenceTtlMs: 15000,
      presenceIntervalMs: 5000,
      commandTimeoutMs: 5000,
    });
    expect(warnings).toEqual([
      "Option 'redisPrefix' is deprecated and will be removed in 1.0: use redis: { connection, prefix } instead.",
      "Option 'redisConnectTimeoutMs' is deprecated and will be removed in 1.0: use redis: { connection, connectTimeoutMs } instead.",
      "Option 'redisSecret' is deprecated and will be removed in 1.0: use redis: { connection, secret } instead.",
      "Option 'redisMaxPendingBytes' is deprecated and will be removed in 1.0: use redis: { connection, maxPendingBytes } instead.",
      "Option 'redisMaxMessageBytes' is deprecated and will be removed in 1.0: use redis: { connection, maxMessageBytes } instead.",
    ]);
  });
});

describe('RedisBroker and SocketApiEmitter take the same settings', () => {
  const recorder = () => {
    const warnings: string[] = [];
    return {
      warnings,
      logger: { log: () => undefined, error: () => undefined, warn: (m: string) => warnings.push(m) },
    };
  };

  it('RedisBroker: `connection` silently, the old `redis` with a warning, both taking effect', () => {
    const current = recorder();
    expect(new RedisBroker({ connection: 'redis://127.0.0.1:1', prefix: 'p1', logger: current.logger }).prefix).toBe(
      'p1',
    );
    expect(current.warnings).toEqual([]);
    const old = recorder();
    const broker = new RedisBroker({ redis: 'redis://127.0.0.1:1', prefix: 'p2', logger: old.logger });
    expect(broker.redisChannel('chat')).toBe('p2:chat');
    expect(old.warnings).toEqual([
      "RedisBroker: option 'redis' is deprecated and will be removed in 1.0: use 'connection' instead (same values).",
    ]);
  });

  it('SocketApiEmitter accepts the settings object the module takes', async () => {
    const settings = { connection: 'redis://127.0.0.1:1', prefix: 'p', maxMessageBytes: 200 };
    const emitter = new SocketApiEmitter(settings);
    try {
      await expect(emitter.publish('chat', 'x'.repeat(300))).rejects.toThrow('larger than maxMessageBytes (200)');
    } finally {
      await emitter.close();
    }
  });
});
