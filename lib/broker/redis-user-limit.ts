import type { UserConnectionStore } from '../interfaces/connection-control.interface.js';
import { userLimitWriteFailed } from '../logging/log.messages.js';
import { ThrottledWarning, type WarningSink } from '../logging/throttled-warning.js';
import type { RedisOrCluster } from './redis-connection.js';
import { RedisScript } from './redis-presence-scripts.js';

/**
 * One user's connections over all instances: a sorted set `<prefix>!user:{<userId>}` (one key, so one
 * hash slot), connection id → when it expires (ms, Redis's clock: one clock for every instance).
 * KEYS: [set]. ARGV: ttl ms, max (0: no limit), then connection ids. Expired entries (a crashed
 * instance's) are swept first; with a `max`, an id not in the set yet is added only while the set has
 * fewer than `max` entries. Atomic: two instances admitting the same user at once never both pass the last slot.
 * Returns 1 when added (or refreshed), 0 when refused.
 */
const ADD = new RedisScript(`
local clock = redis.call('TIME')
local now = tonumber(clock[1]) * 1000 + math.floor(tonumber(clock[2]) / 1000)
local ttl, max = tonumber(ARGV[1]), tonumber(ARGV[2])
redis.call('ZREMRANGEBYSCORE', KEYS[1], '-inf', now)
if max > 0 and not redis.call('ZSCORE', KEYS[1], ARGV[3]) and redis.call('ZCARD', KEYS[1]) >= max then return 0 end
for i = 3, #ARGV do redis.call('ZADD', KEYS[1], now + ttl, ARGV[i]) end
redis.call('PEXPIRE', KEYS[1], ttl)
return 1`);

/** Connection ids refreshed per script call: bounds one call's size (and how long it holds Redis). */
const REFRESH_BATCH = 256;

export interface RedisUserLimitOptions {
  /** The connection the scripts run on (the broker's publisher); undefined before it connects. */
  readonly client: () => RedisOrCluster | undefined;
  readonly prefix: string;
  /** How long an entry outlives its instance's last refresh (the broker's `presenceTtlMs`). */
  readonly ttlMs: number;
  /** How often this instance refreshes its entries (the broker's `presenceIntervalMs`). */
  readonly intervalMs: number;
  readonly logger: WarningSink;
}

/**
 * The per-user connection counts of `maxConnectionsPerUser`, shared by the instances in Redis. Each
 * instance keeps its own entries in memory and pushes their expiry back by `ttlMs` every `intervalMs`
 * (re-adding those Redis lost); so a crashed instance's connections stop counting at most `ttlMs`
 * after its last refresh. Writes other than `acquire` never fail the caller: a failure is logged
 * (throttled) and the next refresh writes the entries again.
 */
export class RedisUserLimit implements UserConnectionStore {
  readonly ttlMs: number;
  private readonly local = new Map<string, Set<string>>();
  private readonly failures: ThrottledWarning;
  private timer?: NodeJS.Timeout;

  constructor(private readonly options: RedisUserLimitOptions) {
    this.ttlMs = options.ttlMs;
    this.failures = new ThrottledWarning(options.logger);
  }

  async acquire(userId: string, connectionId: string, max: number): Promise<boolean> {
    const client = this.readyClient();
    if (!client) throw new Error('Redis is not connected');
    const added = await ADD.run(client, [this.key(userId)], [this.ttlMs, max, connectionId]);
    if (added !== 1) return false;
    this.keep(userId, connectionId);
    return true;
  }

  add(userId: string, connectionId: string): void {
    this.keep(userId, connectionId);
    this.write(userId, [connectionId]);
  }

  release(userId: string, connectionId: string): void {
    const ids = this.local.get(userId);
    if (!ids?.delete(connectionId)) return;
    if (ids.size === 0) this.local.delete(userId);
    if (this.local.size === 0) this.stopRefreshing();
    this.readyClient()
      ?.zrem(this.key(userId), connectionId)
      .catch((error: unknown) => this.failed(error));
  }

  /** Shutdown: no more refreshes (the connections' closes release their entries). */
  close(): void {
    this.stopRefreshing();
  }

  private keep(userId: string, connectionId: string): void {
    let ids = this.local.get(userId);
    if (!ids) this.local.set(userId, (ids = new Set()));
    ids.add(connectionId);
    this.timer ??= setInterval(() => this.refresh(), this.options.intervalMs).unref();
  }

  private refresh(): void {
    for (const [userId, ids] of this.local) {
      const all = [...ids];
      for (let start = 0; start < all.length; start += REFRESH_BATCH) {
        this.write(userId, all.slice(start, start + REFRESH_BATCH));
      }
    }
  }

  private write(userId: string, connectionIds: readonly string[]): void {
    const client = this.readyClient();
    if (!client) return; // written by the next refresh once Redis is back
    ADD.run(client, [this.key(userId)], [this.ttlMs, 0, ...connectionIds]).catch((error: unknown) =>
      this.failed(error),
    );
  }

  private failed(error: unknown): void {
    const reason = error instanceof Error ? error.message : String(error);
    this.failures.report((count) => userLimitWriteFailed(count, reason));
  }

  private stopRefreshing(): void {
    clearInterval(this.timer);
    this.timer = undefined;
  }

  private readyClient(): RedisOrCluster | undefined {
    const client = this.options.client();
    return client?.status === 'ready' ? client : undefined;
  }

  /** One key per user, its id the hash tag: the script's one key is in one slot on a cluster. */
  private key(userId: string): string {
    return `${this.options.prefix}!user:{${userId}}`;
  }
}
