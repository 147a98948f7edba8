import type { BroadcastOptions } from '../interfaces/broadcast-options.interface.js';
import type { SocketApiDocsOptions } from '../interfaces/docs-options.interface.js';
import type { SocketApiMetricsOptions } from '../interfaces/metrics-options.interface.js';
import type { SocketApiHealthOptions } from '../interfaces/health-options.interface.js';
import type { RedisSettings } from '../interfaces/redis-broker-options.interface.js';
import { addressList } from '../network/ip-addresses.js';
import { DEFAULTS } from './defaults.js';
import { DEPRECATED_REDIS_OPTIONS } from './resolve-options.js';
import type {
  HeartbeatOptions,
  RateLimitOptions,
  SocketApiModuleOptions,
  SocketApiValidationOptions,
} from '../interfaces/socket-api-options.interface.js';

/**
 * Checks one option's value (never `undefined`: absent options are not checked) and adds to
 * `problems` what is wrong with it, naming it by `name` (`rateLimit.burst`).
 */
type Check = (value: unknown, name: string, problems: string[]) => void;

/** One check per member of `T`: a member added to an options interface without a check does not compile. */
type Checks<T> = { readonly [Name in keyof Required<T>]: Check };

/** setTimeout's limit: a longer delay fires at once. */
const MAX_DELAY_MS = 2 ** 31 - 1;

const show = (value: unknown): string => {
  if (typeof value === 'string') return JSON.stringify(value.length > 60 ? `${value.slice(0, 60)}…` : value);
  if (typeof value === 'function') return `a function (${value.name || 'anonymous'})`;
  if (Array.isArray(value)) return 'an array';
  if (value instanceof RegExp) return String(value);
  if (typeof value === 'object' && value !== null) return 'an object';
  return typeof value === 'bigint' ? `${value}n` : String(value);
};

/** The one wording of a problem: `maxConnections must be an integer ≥ 1, got -1`. */
function mustBe(problems: string[], name: string, description: string, value: unknown, hint = ''): void {
  problems.push(`${name || 'the options'} must be ${description}, got ${show(value)}${hint}`);
}

/** A check from a test and the description of what passes it. */
function accepts(description: string, test: (value: unknown) => boolean): Check {
  return (value, name, problems) => {
    if (!test(value)) mustBe(problems, name, description, value);
  };
}

const integer = (min: number, unit = '') =>
  accepts(`an integer ≥ ${min}${unit}`, (value) => Number.isSafeInteger(value) && (value as number) >= min);

const duration = (min: number, meaning = '') =>
  accepts(
    `a whole number of milliseconds from ${min} to ${MAX_DELAY_MS} (about 24.8 days)${meaning}`,
    (value) => Number.isInteger(value) && (value as number) >= min && (value as number) <= MAX_DELAY_MS,
  );

const positiveNumber = accepts(
  'a finite number > 0',
  (value) => typeof value === 'number' && Number.isFinite(value) && value > 0,
);
const nonEmptyString = accepts('a non-empty string', (value) => typeof value === 'string' && value !== '');
/** What `outputValidation` accepts, here and on a handler's options (see `SocketApiOrchestrator`). */
export const OUTPUT_VALIDATION_MODES: readonly string[] = ['error', 'warn', 'off'];
const outputValidationMode = accepts(
  "'error', 'warn' or 'off'",
  (value) => typeof value === 'string' && OUTPUT_VALIDATION_MODES.includes(value),
);
const isObject = (value: unknown): value is Record<string, unknown> =>
  typeof value === 'object' && value !== null && !Array.isArray(value);
const anObject = accepts('an object', isObject);
const urlPath = accepts(
  "a path starting with '/', without '?' or '#'",
  (value) => typeof value === 'string' && value.startsWith('/') && !/[?#\s]/.test(value),
);
const hasMethods =
  (what: string, ...methods: string[]): Check =>
  (value, name, problems) => {
    const missing = isObject(value) ? methods.filter((method) => typeof value[method] !== 'function') : methods;
    if (missing.length > 0) mustBe(problems, name, `${what} (with ${methods.join(', ')}())`, value);
  };

function orFalse(check: Check): Check {
  return (value, name, problems) => {
    if (value !== false) check(value, name, problems);
  };
}

function arrayOf(description: string, check: Check): Check {
  return (value, name, problems) => {
    if (!Array.isArray(value)) return mustBe(problems, name, `an array of ${description}`, value);
    value.forEach((item, index) => check(item, `${name}[${index}]`, problems));
  };
}

/** An object whose members are checked by `checks`; `required` members must be there; others are typos. */
function objectOf<T>(checks: Checks<T>, required: ReadonlyArray<keyof T> = []): Check {
  return (value, name, problems) => {
    if (!isObject(value)) return mustBe(problems, name, 'an object', value);
    const known = Object.keys(checks);
    for (const key of Object.keys(value)) {
      const path = name ? `${name}.${key}` : key;
      if (!Object.hasOwn(checks, key)) problems.push(`${path} is not an option${suggestion(key, known)}`);
      else if (value[key] !== undefined) (checks as Record<string, Check>)[key](value[key], path, problems);
    }
    for (const key of required) {
      if (value[key as string] === undefined) problems.push(`${name ? `${name}.` : ''}${String(key)} is required`);
    }
  };
}

/** `'http://localhost:5173'`: an origin as browsers send it (scheme, host, port if not the default; no path). */
const origin: Check = (value, name, problems) => {
  if (value instanceof RegExp) return;
  if (typeof value !== 'string') return mustBe(problems, name, 'an origin string or a RegExp', value);
  let serialized: string | undefined;
  try {
    serialized = new URL(value).origin;
  } catch {
    serialized = undefined;
  }
  if (serialized === undefined || serialized === 'null') {
    mustBe(problems, name, "an origin such as 'http://localhost:5173'", value);
  } else if (serialized !== value.toLowerCase()) {
    mustBe(problems, name, "an origin (no path, no trailing '/')", value, `: did you mean '${serialized}'?`);
  }
};

const allowedOrigins: Check = (value, name, problems) => {
  if (value === '*' || typeof value === 'function') return;
  if (!Array.isArray(value)) {
    return mustBe(problems, name, "'*', a function, or an array of origins and RegExps", value);
  }
  value.forEach((item, index) => origin(item, `${name}[${index}]`, problems));
};

const addressOrRange: Check = (value, name, problems) => {
  if (typeof value !== 'string') return mustBe(problems, name, 'an IP address or CIDR string', value);
  try {
    addressList([value]);
  } catch (error) {
    problems.push(`${name}: ${(error as Error).message}`);
  }
};

const rateLimit = objectOf<RateLimitOptions>({ perSecond: positiveNumber, burst: integer(1), closeAfter: integer(0) }, [
  'perSecond',
  'burst',
]);

const heartbeat = objectOf<HeartbeatOptions>({ intervalMs: duration(1), timeoutMs: duration(1) });

const validation = objectOf<SocketApiValidationOptions>({
  validator: anObject,
  transformer: anObject,
  strictInput: accepts('true or false', (value) => typeof value === 'boolean'),
  startupCheck: accepts(
    "'warn', 'error' or 'off'",
    (value) => value === 'warn' || value === 'error' || value === 'off',
  ),
});

const broadcast = objectOf<BroadcastOptions>({
  path: urlPath,
  allowedHosts: arrayOf('addresses and CIDRs', addressOrRange),
  token: nonEmptyString,
  maxBodyBytes: integer(1, ' (bytes)'),
});

const docsObject = objectOf<SocketApiDocsOptions>({
  path: urlPath,
  token: nonEmptyString,
  title: nonEmptyString,
  version: nonEmptyString,
  description: nonEmptyString,
});

/** `true` (the defaults), `false`, or the settings. */
const docs: Check = (value, name, problems) => {
  if (typeof value !== 'boolean') docsObject(value, name, problems);
};

const metricsObject = objectOf<SocketApiMetricsOptions>({
  registry: hasMethods('a prom-client Registry', 'registerMetric', 'removeSingleMetric', 'metrics'),
  path: orFalse(urlPath),
  token: nonEmptyString,
  prefix: accepts(
    'a metric name prefix ([a-zA-Z_:][a-zA-Z0-9_:]*)',
    (value) => typeof value === 'string' && /^[a-zA-Z_:][a-zA-Z0-9_:]*$/.test(value),
  ),
});

/** `true` (the defaults), `false`, or the settings. */
const metrics: Check = (value, name, problems) => {
  if (typeof value !== 'boolean') metricsObject(value, name, problems);
};

const healthObject = objectOf<SocketApiHealthOptions>({ livePath: urlPath, readyPath: urlPath });

/** `true` (the default paths), `false`, or the paths: two different ones. */
const health: Check = (value, name, problems) => {
  if (typeof value === 'boolean') return;
  healthObject(value, name, problems);
  if (!isObject(value)) return;
  const livePath = value.livePath ?? DEFAULTS.health.livePath;
  if (livePath === (value.readyPath ?? DEFAULTS.health.readyPath)) {
    problems.push(`${name}.livePath and ${name}.readyPath must differ, both are ${show(livePath)}`);
  }
};

const redisConnectionKind = accepts(
  'a Redis URL, ioredis options or an ioredis client',
  (value) => isObject(value) || (typeof value === 'string' && value !== ''),
);

/** `{ cluster: { nodes, options? } }` (an ioredis Cluster has a `cluster` method, not an object). */
const clusterNodes = accepts(
  'a non-empty array of nodes (`"host:port"`, a port, or { host, port })',
  (value) => Array.isArray(value) && value.length > 0,
);

/** Where Redis is; the cluster form is checked inside, so that a cluster without nodes fails at startup. */
const redisConnection: Check = (value, name, problems) => {
  redisConnectionKind(value, name, problems);
  if (isObject(value) && isObject(value.cluster)) {
    clusterNodes(value.cluster.nodes, `${name}.cluster.nodes`, problems);
    if (value.cluster.options !== undefined) anObject(value.cluster.options, `${name}.cluster.options`, problems);
  }
};

const redisSettings = objectOf<RedisSettings>(
  {
    connection: redisConnection,
    prefix: nonEmptyString,
    connectTimeoutMs: duration(1),
    secret: nonEmptyString,
    maxPendingBytes: integer(1, ' (bytes)'),
    maxMessageBytes: integer(1, ' (bytes)'),
    presenceTtlMs: duration(1),
    presenceIntervalMs: duration(1),
    commandTimeoutMs: duration(1),
  },
  ['connection'],
);

/** Where Redis is, or (told apart by its `connection` key, see `isRedisSettings`) the settings object. */
const redis: Check = (value, name, problems) =>
  (isObject(value) && 'connection' in value ? redisSettings : redisConnection)(value, name, problems);

/** Every module option and what it accepts. A new option is one line here (the type insists). */
const MODULE_OPTIONS: Checks<SocketApiModuleOptions> = {
  path: urlPath,
  maxPayload: integer(1, ' (bytes)'),
  concurrency: integer(1),
  validation,
  serialization: anObject,
  outputValidation: outputValidationMode,
  broker: hasMethods('a SocketApiBroker', 'connect', 'publish', 'watch', 'unwatch', 'close'),
  redis,
  redisPrefix: nonEmptyString,
  redisConnectTimeoutMs: duration(1),
  redisSecret: nonEmptyString,
  redisMaxPendingBytes: integer(1, ' (bytes)'),
  redisMaxMessageBytes: integer(1, ' (bytes)'),
  broadcast,
  docs,
  metrics,
  health,
  tracing: accepts('a boolean', (value) => typeof value === 'boolean'),
  auth: hasMethods('a SocketAuthenticator', 'authenticate'),
  connectGuards: arrayOf(
    'guard classes',
    accepts('a guard class', (value) => typeof value === 'function'),
  ),
  handshakeTimeoutMs: duration(1),
  allowedOrigins,
  maxConnections: integer(1),
  maxConnectionsPerAddress: integer(1),
  maxConnectionsPerUser: integer(1),
  controlTimeoutMs: duration(1),
  trustedProxies: arrayOf('addresses and CIDRs', addressOrRange),
  rateLimit: orFalse(rateLimit),
  maxSubscriptions: integer(1),
  maxPendingMessages: integer(0),
  maxPendingBytes: integer(0, ' (bytes)'),
  maxBufferedBytes: integer(1, ' (bytes)'),
  heartbeat: orFalse(heartbeat),
  idleTimeoutMs: duration(0, '; 0: never'),
  shutdownTimeoutMs: duration(0),
  closeTimeoutMs: duration(1),
  maxDepth: integer(1),
  errorLogIntervalMs: duration(0, '; 0: log every error'),
};

const checkModuleOptions = objectOf(MODULE_OPTIONS);

/**
 * Throws at startup, listing every problem, unless `options` are valid SocketApiModule options:
 * known names (a likely typo gets "did you mean"), and values each option accepts.
 */
export function validateOptions(options: unknown): SocketApiModuleOptions {
  const problems: string[] = [];
  if (options === undefined) return {};
  checkModuleOptions(options, '', problems);
  if (isObject(options) && isObject(options.redis) && 'connection' in options.redis) {
    for (const [old, replacement] of Object.entries(DEPRECATED_REDIS_OPTIONS)) {
      if (options[old] !== undefined)
        problems.push(`${old} cannot be combined with redis: { connection }: use redis.${replacement}`);
    }
  }
  if (problems.length > 0) {
    throw new TypeError(`Invalid SocketApiModule options:\n${problems.map((problem) => `  - ${problem}`).join('\n')}`);
  }
  return options as SocketApiModuleOptions;
}

/** `: did you mean 'maxConnections'?` for a name close to a known one (or the same but for case). */
function suggestion(name: string, known: readonly string[]): string {
  let best: string | undefined;
  let bestDistance = Math.max(2, Math.floor(name.length / 4)) + 1;
  for (const candidate of known) {
    const distance = candidate.toLowerCase() === name.toLowerCase() ? 0 : editDistance(name, candidate);
    if (distance < bestDistance) {
      best = candidate;
      bestDistance = distance;
    }
  }
  return best === undefined ? ` (known: ${known.join(', ')})` : `: did you mean ${best}?`;
}

/** Levenshtein distance. */
function editDistance(a: string, b: string): number {
  let previous = Array.from({ length: b.length + 1 }, (_, index) => index);
  for (let i = 1; i <= a.length; i++) {
    const current = [i];
    for (let j = 1; j <= b.length; j++) {
      current[j] = Math.min(previous[j] + 1, current[j - 1] + 1, previous[j - 1] + (a[i - 1] === b[j - 1] ? 0 : 1));
    }
    previous = current;
  }
  return previous[b.length];
}
