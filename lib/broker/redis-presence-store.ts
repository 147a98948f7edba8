import type { RedisOrCluster } from './redis-connection.js';
import { RedisPubSub } from './redis-pubsub.js';
import type { PresenceMember, PresenceStore } from '../interfaces/channel-stream.interface.js';
import { ThrottledWarning, type WarningSink } from '../logging/throttled-warning.js';
import { DEFAULTS } from '../options/defaults.js';
import { CommandDeadline } from './command-deadline.js';
import { presenceHeader } from './presence-envelope.js';
import { PresenceScripts, presenceKeys, type PresenceScriptSet } from './redis-presence-scripts.js';

export interface RedisPresenceStoreOptions {
  /** The connection the scripts run on (the broker's publisher); undefined before it connects. */
  readonly client: () => RedisOrCluster | undefined;
  /** The app's key and channel prefix (`redis.prefix`). */
  readonly prefix: string;
  /**
   * Whether `client` is a Redis Cluster: events are published with SPUBLISH on `<prefix>:{<channel>}` (see `RedisPubSub`).
   * @default false
   */
  readonly sharded?: boolean;
  /** This instance's id, in the events it publishes. */
  readonly senderId: string;
  /**
   * How long a member outlives its instance's last refresh: an instance that dies without a word
   * (`kill -9`) has its members' leaves published at most `ttlMs + intervalMs` later.
   * @default 15_000
   */
  readonly ttlMs?: number;
  /**
   * How often this instance refreshes its members and sweeps the expired ones of its channels.
   * @default 5_000
   */
  readonly intervalMs?: number;
  /**
   * How long a caller waits for Redis's answer to one script: `list` then rejects, `join` and `leave`
   * resolve (the next refresh writes again what this instance holds).
   * @default 5_000
   */
  readonly commandTimeoutMs?: number;
  readonly logger: WarningSink;
}

/** Members refreshed per script call: bounds the size of one call (and how long it holds Redis). */
const REFRESH_BATCH = 256;

interface LocalChannel {
  /** Whether the channel announces joins and leaves (its `joinLeave`). */
  announce: boolean;
  /** This instance's members: clientId → member JSON. */
  readonly members: Map<string, string>;
}

/**
 * The presence shared by the app's instances, in Redis (see `redis-presence-scripts.ts` for the keys
 * and scripts). Each instance keeps its own members in memory and, every `intervalMs`, pushes their
 * expiry back by `ttlMs` and sweeps the channel's expired members (the members of a crashed
 * instance), publishing their leaves; so a member is listed until at most `ttlMs` after its instance
 * stopped refreshing, and its leave is sent within `ttlMs + intervalMs` by any live instance with a
 * subscriber of the channel (no one else would see it).
 *
 * While Redis cannot be reached, `join` and `leave` still resolve (the member is kept or dropped
 * here; the next refresh writes it, a `join` again for a member Redis lost), `list` rejects. The
 * same while Redis does not answer (stopped, a stalled host), after `commandTimeoutMs`: the scripts
 * still queued then run when it answers, in order, so a join is never run after its leave.
 */
export class RedisPresenceStore implements PresenceStore {
  readonly ttlMs: number;
  readonly intervalMs: number;
  private readonly header: string;
  private readonly local = new Map<string, LocalChannel>();
  private readonly inFlight = new Set<Promise<unknown>>();
  private readonly failures: ThrottledWarning;
  private readonly deadline: CommandDeadline;
  private readonly scripts: PresenceScriptSet;
  private readonly pubSub: RedisPubSub;
  private timer?: NodeJS.Timeout;
  private refreshing = false;
  private closed = false;

  constructor(private readonly options: RedisPresenceStoreOptions) {
    this.ttlMs = options.ttlMs ?? 15_000;
    this.intervalMs = options.intervalMs ?? 5_000;
    if (!(this.intervalMs > 0) || !(this.ttlMs >= 2 * this.intervalMs)) {
      throw new Error(
        `RedisBroker: presenceTtlMs (${this.ttlMs}) must be at least twice presenceIntervalMs (${this.intervalMs}), ` +
          'so that a live member is refreshed before it expires.',
      );
    }
    this.deadline = new CommandDeadline(options.commandTimeoutMs ?? DEFAULTS.redis.commandTimeoutMs);
    this.header = presenceHeader(options.senderId);
    this.failures = new ThrottledWarning(options.logger);
    this.pubSub = new RedisPubSub(options.prefix, options.sharded ?? false);
    this.scripts = PresenceScripts[this.pubSub.publishCommand];
  }

  /** The number of members this instance holds, over every channel. */
  get localMembers(): number {
    let count = 0;
    for (const channel of this.local.values()) count += channel.members.size;
    return count;
  }

  join(channel: string, member: PresenceMember, announce: boolean): Promise<void> {
    if (this.closed) return Promise.resolve();
    const text = JSON.stringify({ clientId: member.clientId, info: member.info });
    let local = this.local.get(channel);
    if (!local) {
      local = { announce, members: new Map() };
      this.local.set(channel, local);
    }
    local.announce = announce;
    local.members.set(member.clientId, text);
    this.startRefreshing();
    return this.write('join', channel, announce, [member.clientId, text, this.ttlMs]);
  }

  leave(channel: string, clientId: string, announce: boolean): Promise<void> {
    const local = this.local.get(channel);
    if (local?.members.delete(clientId) && local.members.size === 0) this.local.delete(channel);
    if (this.local.size === 0) this.stopRefreshing();
    return this.write('leave', channel, announce, [clientId]);
  }

  async list(channel: string): Promise<PresenceMember[]> {
    const client = this.readyClient();
    if (!client) throw new Error('Redis is not connected');
    const announce = this.local.get(channel)?.announce ?? false;
    const values = (await this.track(
      this.scripts.list.run(client, presenceKeys(this.pubSub.prefix, channel), this.scriptArgs(channel, announce)),
    )) as string[];
    const members: PresenceMember[] = [];
    for (const value of values) {
      const member = parseMember(value);
      if (member) members.push(member);
    }
    return members;
  }

  /** Graceful shutdown: the writes in flight end, then this instance's remaining members leave (with their events). */
  async close(): Promise<void> {
    this.closed = true;
    this.stopRefreshing();
    await Promise.allSettled([...this.inFlight]);
    const leaves: Array<Promise<void>> = [];
    for (const [channel, { announce, members }] of this.local) {
      for (const clientId of members.keys()) leaves.push(this.write('leave', channel, announce, [clientId]));
    }
    this.local.clear();
    await Promise.all(leaves);
  }

  /**
   * Refreshes this instance's members and sweeps the expired ones of its channels, now (the timer
   * does it every `intervalMs`). Resolves when Redis has answered every call.
   */
  async refresh(): Promise<void> {
    const client = this.readyClient();
    if (!client || this.refreshing) return;
    this.refreshing = true;
    // Every call is sent now, in this tick, so that a leave issued after it runs after it on the connection.
    const calls: Array<Promise<unknown>> = [];
    for (const [channel, { announce, members }] of this.local) {
      const keys = presenceKeys(this.pubSub.prefix, channel);
      const pairs = [...members].flat();
      for (let start = 0; start < pairs.length; start += 2 * REFRESH_BATCH) {
        const args = [
          ...this.scriptArgs(channel, announce),
          this.ttlMs,
          ...pairs.slice(start, start + 2 * REFRESH_BATCH),
        ];
        calls.push(this.track(this.scripts.refresh.run(client, keys, args)).catch((error) => this.failed(error)));
      }
    }
    try {
      await Promise.all(calls);
    } finally {
      this.refreshing = false;
    }
  }

  private async write(
    script: 'join' | 'leave',
    channel: string,
    announce: boolean,
    args: Array<string | number>,
  ): Promise<void> {
    const client = this.readyClient();
    // Not connected: the next refresh writes what this instance holds; a member left meanwhile expires.
    if (!client) return;
    const keys = presenceKeys(this.pubSub.prefix, channel);
    try {
      await this.track(this.scripts[script].run(client, keys, [...this.scriptArgs(channel, announce), ...args]));
    } catch (error) {
      this.failed(error);
    }
  }

  private scriptArgs(channel: string, announce: boolean): string[] {
    return [this.pubSub.channel(channel), this.header, announce ? '1' : '0'];
  }

  private readyClient(): RedisOrCluster | undefined {
    const client = this.options.client();
    return client?.status === 'ready' ? client : undefined;
  }

  /** The script's outcome within `commandTimeoutMs`, kept until then for `close()` to wait for. */
  private track<T>(command: Promise<T>): Promise<T> {
    const promise = this.deadline.race(command);
    this.inFlight.add(promise);
    const forget = () => this.inFlight.delete(promise);
    promise.then(forget, forget);
    return promise;
  }

  private failed(error: unknown): void {
    const reason = error instanceof Error ? error.message : String(error);
    this.failures.report(
      (count) => `${count} presence write(s) to Redis failed (latest: ${reason}); the next refresh writes them again.`,
    );
  }

  private startRefreshing(): void {
    if (this.timer) return;
    this.timer = setInterval(() => void this.refresh(), this.intervalMs);
    // Presence must not keep a process alive that has nothing else to do.
    this.timer.unref();
  }

  private stopRefreshing(): void {
    clearInterval(this.timer);
    this.timer = undefined;
  }
}

function parseMember(text: string): PresenceMember | undefined {
  try {
    const { clientId, info } = JSON.parse(text) as { clientId?: unknown; info?: unknown };
    if (typeof clientId !== 'string') return undefined;
    return info === undefined ? { clientId } : { clientId, info };
  } catch {
    return undefined;
  }
}
