import type { Cluster } from 'ioredis';
import type { RedisOrCluster } from './redis-connection.js';

/** The command the Lua scripts publish with: `SPUBLISH` on a Redis Cluster (to the shard of the script's keys). */
export type PublishCommand = 'PUBLISH' | 'SPUBLISH';

/**
 * The one place that maps the app's channels to Redis pub/sub, plain or sharded, so that every publication
 * and subscription of the broker (and of the Lua scripts, through `publishCommand`) goes one way:
 *
 * - one Redis: `PUBLISH`/`SUBSCRIBE` on `<prefix>:<channel>`;
 * - a Redis Cluster: `SPUBLISH`/`SSUBSCRIBE` on `<prefix>:{<channel>}`. The hash tag puts the pub/sub channel
 *   in the hash slot of the channel's history and presence keys (`<prefix>:{<channel>}:h`, ...): a script can
 *   only `SPUBLISH` to its keys' slot, and channels spread over the shards as their keys do. Plain pub/sub is
 *   never used there (it is broadcast to every node of the cluster).
 */
export class RedisPubSub {
  readonly publishCommand: PublishCommand;
  /** The subscriber's event of a message, as Buffers. */
  readonly messageEvent: 'messageBuffer' | 'smessageBuffer';

  constructor(
    readonly prefix: string,
    readonly sharded: boolean,
  ) {
    this.publishCommand = sharded ? 'SPUBLISH' : 'PUBLISH';
    this.messageEvent = sharded ? 'smessageBuffer' : 'messageBuffer';
  }

  /** The Redis channel of an app channel. */
  channel(name: string): string {
    return this.sharded ? `${this.prefix}:{${name}}` : `${this.prefix}:${name}`;
  }

  /**
   * A Redis channel of the broker's own (the instances' control messages), apart from every app channel's
   * `<prefix>:…` by its `!`: `<prefix>!<name>`, or `<prefix>!{<name>}` (sharded, in the slot of `name`).
   */
  brokerChannel(name: string): string {
    return this.sharded ? `${this.prefix}!{${name}}` : `${this.prefix}!${name}`;
  }

  /** The app channel of a Redis channel received on (one `channel` made). */
  name(redisChannel: Buffer): string {
    const text = redisChannel.toString();
    return this.sharded ? text.slice(this.prefix.length + 2, -1) : text.slice(this.prefix.length + 1);
  }

  /** Resolves with the number of subscribers that received it (sharded: those on the master of its slot). */
  publish(client: RedisOrCluster, redisChannel: string, message: Buffer): Promise<number> {
    // ioredis types SPUBLISH's reply `unknown`; Redis answers an integer, as for PUBLISH.
    return this.sharded
      ? (client.spublish(redisChannel, message) as Promise<number>)
      : client.publish(redisChannel, message);
  }

  /**
   * Subscribes `subscriber` to `redisChannels`: in one SUBSCRIBE, or one SSUBSCRIBE per channel (one command
   * may only name channels of one slot). Resolves when every one is acknowledged.
   */
  subscribe(subscriber: RedisOrCluster, redisChannels: readonly string[]): Promise<unknown> {
    if (!this.sharded) return subscriber.subscribe(...redisChannels);
    return Promise.all(redisChannels.map((channel) => subscriber.ssubscribe(channel)));
  }

  /** Unsubscribes `subscriber` from `redisChannels` (as `subscribe` subscribes). */
  unsubscribe(subscriber: RedisOrCluster, redisChannels: readonly string[]): Promise<unknown> {
    if (!this.sharded) return subscriber.unsubscribe(...redisChannels);
    return Promise.all(redisChannels.map((channel) => (subscriber as Cluster).sunsubscribe(channel)));
  }
}
