import 'reflect-metadata';
import { Injectable, Module } from '@nestjs/common';
import { Test } from '@nestjs/testing';
import { SocketApiModule, type SocketApiModuleOptions } from '../../lib/index.js';
import { validateOptions } from '../../lib/options/validate-options.js';

/** The message `validateOptions` throws for `options`, or undefined when they pass. */
function problemsOf(options: unknown): string | undefined {
  try {
    validateOptions(options);
    return undefined;
  } catch (error) {
    expect(error).toBeInstanceOf(TypeError);
    return (error as Error).message;
  }
}

describe('validateOptions', () => {
  it('passes no options, empty options, and every option with a valid value', () => {
    expect(problemsOf(undefined)).toBeUndefined();
    expect(problemsOf({})).toBeUndefined();
    const everything: Required<SocketApiModuleOptions> = {
      path: '/socket',
      maxPayload: 1024,
      concurrency: 4,
      validation: { validator: { whitelist: true }, transformer: {} },
      serialization: { excludeExtraneousValues: false },
      outputValidation: 'error',
      broker: { connect: async () => {}, publish: () => {}, watch: () => {}, unwatch: () => {}, close: async () => {} },
      redis: 'redis://127.0.0.1:6379',
      redisPrefix: 'app',
      redisConnectTimeoutMs: 1000,
      redisSecret: 'shared secret',
      redisMaxPendingBytes: 1 << 20,
      redisMaxMessageBytes: 1 << 16,
      broadcast: {
        path: '/_broadcast',
        allowedHosts: ['10.0.0.5', '192.0.2.0/24'],
        token: 'secret',
        maxBodyBytes: 4096,
      },
      docs: { path: '/docs', token: 'docs token', title: 'Chat', version: '2.1.0', description: 'The chat API.' },
      metrics: {
        registry: {
          contentType: 'text/plain',
          metrics: async () => '',
          registerMetric: () => {},
          getSingleMetric: () => undefined,
          removeSingleMetric: () => {},
        },
        path: '/internal/metrics',
        token: 'scrape token',
        prefix: 'chat_socketapi_',
      },
      health: { livePath: '/livez', readyPath: '/readyz' },
      tracing: true,
      auth: { authenticate: () => undefined },
      connectGuards: [class Guard {}] as unknown as Required<SocketApiModuleOptions>['connectGuards'],
      handshakeTimeoutMs: 5000,
      allowedOrigins: ['http://localhost:5173', 'https://app.example.com', /^https:\/\/[a-z]+\.example\.org$/],
      maxConnections: 10,
      maxConnectionsPerAddress: 2,
      maxConnectionsPerUser: 3,
      controlTimeoutMs: 1000,
      trustedProxies: ['10.0.0.0/8', '::1'],
      rateLimit: { perSecond: 0.5, burst: 3, closeAfter: 10 },
      maxSubscriptions: 5,
      maxPendingMessages: 0,
      maxPendingBytes: 0,
      maxBufferedBytes: 1 << 20,
      heartbeat: { intervalMs: 1000, timeoutMs: 500 },
      idleTimeoutMs: 0,
      shutdownTimeoutMs: 0,
      closeTimeoutMs: 500,
      maxDepth: 64,
      errorLogIntervalMs: 0,
    };
    expect(problemsOf(everything)).toBeUndefined();
    expect(
      problemsOf({ rateLimit: false, heartbeat: false, allowedOrigins: '*', maxPayload: undefined }),
    ).toBeUndefined();
    expect(problemsOf({ allowedOrigins: () => true, redis: { host: 'localhost' } })).toBeUndefined();
    const settings = {
      connection: { host: 'localhost' },
      prefix: 'app',
      connectTimeoutMs: 100,
      secret: 's',
      maxPendingBytes: 10,
      maxMessageBytes: 10,
    };
    expect(problemsOf({ redis: settings })).toBeUndefined();
    expect(problemsOf({ docs: true })).toBeUndefined();
    expect(problemsOf({ docs: false })).toBeUndefined();
  });

  it('names each wrong docs setting', () => {
    expect(problemsOf({ docs: 'yes' })).toMatch(/docs/);
    expect(problemsOf({ docs: { path: 'socket-docs' } })).toMatch(/docs\.path/);
    expect(problemsOf({ docs: { token: '' } })).toMatch(/docs\.token/);
  });

  it('names each wrong metrics setting', () => {
    expect(problemsOf({ metrics: true })).toBeUndefined();
    expect(problemsOf({ metrics: { path: false } })).toBeUndefined();
    expect(problemsOf({ metrics: 'on' })).toMatch(/metrics/);
    expect(problemsOf({ metrics: { path: 'metrics' } })).toMatch(/metrics\.path/);
    expect(problemsOf({ metrics: { token: '' } })).toMatch(/metrics\.token/);
    expect(problemsOf({ metrics: { prefix: 'socket-api_' } })).toMatch(/metrics\.prefix must be a metric name prefix/);
    expect(problemsOf({ metrics: { registry: {} } })).toMatch(/metrics\.registry must be a prom-client Registry/);
    expect(problemsOf({ metrics: { registy: {} } })).toMatch(/did you mean registry/);
  });

  it('names each wrong health setting, and two probes on one path', () => {
    expect(problemsOf({ health: true })).toBeUndefined();
    expect(problemsOf({ health: { readyPath: '/ready' } })).toBeUndefined();
    expect(problemsOf({ health: 'yes' })).toBe(
      'Invalid SocketApiModule options:\n  - health must be an object, got "yes"',
    );
    expect(problemsOf({ health: { livePath: 'live' } })).toMatch(/health\.livePath must be a path starting with '\/'/);
    expect(problemsOf({ health: { readyPath: '/ready?x=1' } })).toMatch(/health\.readyPath must be a path/);
    expect(problemsOf({ health: { livePath: '/health/ready' } })).toMatch(
      /health\.livePath and health\.readyPath must differ, both are "\/health\/ready"/,
    );
    expect(problemsOf({ health: { readyPath: '/health/live' } })).toMatch(/must differ/);
    expect(problemsOf({ health: { path: '/h' } })).toMatch(/health\.path is not an option/);
    expect(problemsOf({ tracing: 'on' })).toMatch(/tracing must be a boolean, got "on"/);
  });

  it.each<[string, unknown, string]>([
    ['a negative limit', { maxConnections: -1 }, 'maxConnections must be an integer ≥ 1, got -1'],
    ['a depth of 0', { maxDepth: 0 }, 'maxDepth must be an integer ≥ 1, got 0'],
    [
      'an unknown mode',
      { outputValidation: 'strict' },
      `outputValidation must be 'error', 'warn' or 'off', got "strict"`,
    ],
    [
      'a negative interval',
      { errorLogIntervalMs: -1 },
      'errorLogIntervalMs must be a whole number of milliseconds from 0',
    ],
    ['NaN', { maxPayload: NaN }, 'maxPayload must be an integer ≥ 1 (bytes), got NaN'],
    ['a fraction', { concurrency: 1.5 }, 'concurrency must be an integer ≥ 1, got 1.5'],
    ['a string for a number', { maxSubscriptions: '5' }, 'maxSubscriptions must be an integer ≥ 1, got "5"'],
    ['strictInput as a string', { validation: { strictInput: 'yes' } }, 'validation.strictInput must be true or false'],
    [
      'an unknown startupCheck',
      { validation: { startupCheck: 'fail' } },
      `validation.startupCheck must be 'warn', 'error' or 'off', got "fail"`,
    ],
    [
      'Infinity',
      { maxConnectionsPerAddress: Infinity },
      'maxConnectionsPerAddress must be an integer ≥ 1, got Infinity',
    ],
    ['zero where 0 means nothing', { maxBufferedBytes: 0 }, 'maxBufferedBytes must be an integer ≥ 1 (bytes), got 0'],
    [
      'a delay setTimeout cannot hold',
      { idleTimeoutMs: 3e9 },
      'idleTimeoutMs must be a whole number of milliseconds from 0 to 2147483647',
    ],
    ['a zero timeout', { handshakeTimeoutMs: 0 }, 'handshakeTimeoutMs must be a whole number of milliseconds from 1'],
    [
      'a negative shutdown timeout',
      { shutdownTimeoutMs: -5 },
      'shutdownTimeoutMs must be a whole number of milliseconds from 0',
    ],
    ['a path without /', { path: 'socket' }, `path must be a path starting with '/', without '?' or '#', got "socket"`],
    ['an empty prefix', { redisPrefix: '' }, 'redisPrefix must be a non-empty string, got ""'],
    ['redis as a number', { redis: 6379 }, 'redis must be a Redis URL, ioredis options or an ioredis client, got 6379'],
    [
      'an empty redis.prefix',
      { redis: { connection: 'redis://h', prefix: '' } },
      'redis.prefix must be a non-empty string, got ""',
    ],
    [
      'redis settings without connection',
      { redis: { connection: undefined, prefix: 'a' } },
      'redis.connection is required',
    ],
    [
      'redis.connection as a number',
      { redis: { connection: 6379 } },
      'redis.connection must be a Redis URL, ioredis options or an ioredis client, got 6379',
    ],
    [
      'a Redis Cluster without nodes',
      { redis: { connection: { cluster: { nodes: [] } } } },
      'redis.connection.cluster.nodes must be a non-empty array of nodes (`"host:port"`, a port, or { host, port }), got an array',
    ],
    [
      'a Redis Cluster whose options are not an object',
      { redis: { cluster: { nodes: ['h:7000'], options: 'x' } } },
      'redis.cluster.options must be an object, got "x"',
    ],
    [
      'a redis settings typo',
      { redis: { connection: 'redis://h', prefx: 'a' } },
      'redis.prefx is not an option: did you mean prefix?',
    ],
    [
      'a zero redis.connectTimeoutMs',
      { redis: { connection: 'redis://h', connectTimeoutMs: 0 } },
      'redis.connectTimeoutMs must be a whole number of milliseconds from 1',
    ],
    [
      'an empty redis.secret',
      { redis: { connection: 'redis://h', secret: '' } },
      'redis.secret must be a non-empty string, got ""',
    ],
    [
      'a fractional redis.maxMessageBytes',
      { redis: { connection: 'redis://h', maxMessageBytes: 1.5 } },
      'redis.maxMessageBytes must be an integer ≥ 1 (bytes), got 1.5',
    ],
    [
      'a negative redis.presenceTtlMs',
      { redis: { connection: 'redis://h', presenceTtlMs: -1 } },
      'redis.presenceTtlMs',
    ],
    [
      'a zero redis.commandTimeoutMs',
      { redis: { connection: 'redis://h', commandTimeoutMs: 0 } },
      'redis.commandTimeoutMs must be a whole number of milliseconds from 1 to 2147483647 (about 24.8 days), got 0',
    ],
    [
      'an old Redis option beside the settings object',
      { redis: { connection: 'redis://h' }, redisSecret: 's' },
      'redisSecret cannot be combined with redis: { connection }: use redis.secret',
    ],
    [
      'auth without authenticate',
      { auth: { verify() {} } },
      'auth must be a SocketAuthenticator (with authenticate()), got an object',
    ],
    [
      'a broker missing methods',
      { broker: { publish() {} } },
      'broker must be a SocketApiBroker (with connect, publish, watch, unwatch, close()), got an object',
    ],
    ['a guard that is an instance', { connectGuards: [{}] }, 'connectGuards[0] must be a guard class, got an object'],
    [
      'connectGuards not an array',
      { connectGuards: class {} },
      'connectGuards must be an array of guard classes, got a function',
    ],
    [
      'an origin with a path',
      { allowedOrigins: ['http://localhost:5173/'] },
      `allowedOrigins[0] must be an origin (no path, no trailing '/'), got "http://localhost:5173/": did you mean 'http://localhost:5173'?`,
    ],
    [
      'an origin without scheme',
      { allowedOrigins: ['localhost:5173'] },
      `allowedOrigins[0] must be an origin such as 'http://localhost:5173', got "localhost:5173"`,
    ],
    [
      'Origin null',
      { allowedOrigins: ['null'] },
      `allowedOrigins[0] must be an origin such as 'http://localhost:5173', got "null"`,
    ],
    [
      'a single origin string',
      { allowedOrigins: 'http://localhost:5173' },
      `allowedOrigins must be '*', a function, or an array of origins and RegExps, got "http://localhost:5173"`,
    ],
    [
      'a trusted proxy that is a name',
      { trustedProxies: ['10.0.0.0/8', 'proxy.local'] },
      `trustedProxies[1]: 'proxy.local' is neither an IP address nor a CIDR`,
    ],
    [
      'a trusted proxy with a bad prefix',
      { trustedProxies: ['10.0.0.0/40'] },
      `trustedProxies[0]: '10.0.0.0/40' is neither`,
    ],
    [
      'trustedProxies as a string',
      { trustedProxies: '10.0.0.1' },
      'trustedProxies must be an array of addresses and CIDRs, got "10.0.0.1"',
    ],
    ['rateLimit without burst', { rateLimit: { perSecond: 5 } }, 'rateLimit.burst is required'],
    [
      'rateLimit of zero per second',
      { rateLimit: { perSecond: 0, burst: 1 } },
      'rateLimit.perSecond must be a finite number > 0, got 0',
    ],
    ['rateLimit as true', { rateLimit: true }, 'rateLimit must be an object, got true'],
    [
      'a heartbeat typo',
      { heartbeat: { intervalMS: 1000 } },
      'heartbeat.intervalMS is not an option: did you mean intervalMs?',
    ],
    [
      'a broadcast typo',
      { broadcast: { allowedHost: ['10.0.0.1'] } },
      'broadcast.allowedHost is not an option: did you mean allowedHosts?',
    ],
    [
      'a validation typo',
      { validation: { validators: {} } },
      'validation.validators is not an option: did you mean validator?',
    ],
    ['a typo', { maxConection: 5 }, 'maxConection is not an option: did you mean maxConnections?'],
    ['a case slip', { maxpayload: 5 }, 'maxpayload is not an option: did you mean maxPayload?'],
    ['a singular', { connectGuard: [] }, 'connectGuard is not an option: did you mean connectGuards?'],
    ['an unknown name', { jwtSecret: 'x' }, 'jwtSecret is not an option (known: path, maxPayload,'],
    ['not an object', 'ws://localhost', 'the options must be an object, got "ws://localhost"'],
  ])('refuses %s, naming the option and what it accepts', (_what, options, expected) => {
    const message = problemsOf(options);
    expect(message).toContain('Invalid SocketApiModule options:\n  - ');
    expect(message).toContain(expected);
  });

  it('lists every problem at once', () => {
    expect(problemsOf({ maxConection: 5, maxPayload: -1, heartbeat: { timeoutMs: NaN } })).toBe(
      'Invalid SocketApiModule options:\n' +
        '  - maxConection is not an option: did you mean maxConnections?\n' +
        '  - maxPayload must be an integer ≥ 1 (bytes), got -1\n' +
        '  - heartbeat.timeoutMs must be a whole number of milliseconds from 1 to 2147483647 (about 24.8 days), got NaN',
    );
  });
});

describe('options are validated where they enter the module', () => {
  it('forRoot: startup fails with the message', async () => {
    const compiling = Test.createTestingModule({
      imports: [SocketApiModule.forRoot({ maxConection: 5 } as SocketApiModuleOptions)],
    }).compile();
    await expect(compiling).rejects.toThrow('maxConection is not an option: did you mean maxConnections?');
  });

  it('forRootAsync with useFactory (injecting), useClass and useExisting alike', async () => {
    @Injectable()
    class Config {
      readonly limit = -3;
      create(): SocketApiModuleOptions {
        return { maxConnections: this.limit };
      }
    }
    @Module({ providers: [Config], exports: [Config] })
    class ConfigModule {}

    const factory = SocketApiModule.forRootAsync({
      imports: [ConfigModule],
      inject: [Config],
      useFactory: async (config: Config) => ({ maxConnections: config.limit }),
    });
    await expect(Test.createTestingModule({ imports: [factory] }).compile()).rejects.toThrow(
      'maxConnections must be an integer ≥ 1, got -3',
    );
    const byClass = SocketApiModule.forRootAsync({ useClass: Config });
    await expect(Test.createTestingModule({ imports: [byClass] }).compile()).rejects.toThrow('got -3');
    const existing = SocketApiModule.forRootAsync({ imports: [ConfigModule], useExisting: Config });
    await expect(Test.createTestingModule({ imports: [existing] }).compile()).rejects.toThrow('got -3');
  });

  it('valid options still start', async () => {
    const moduleRef = await Test.createTestingModule({
      imports: [SocketApiModule.forRootAsync({ useFactory: () => ({ maxConnections: 3, handshakeTimeoutMs: 500 }) })],
    }).compile();
    await moduleRef.close();
  });
});
