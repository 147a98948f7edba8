import { Buffer } from 'node:buffer';
import { Logger } from '@nestjs/common';
import type { ClassTransformOptions } from 'class-transformer';
import type { RedisOptions } from 'ioredis';
import { dataFrame } from '../protocol/server-messages.js';
import { toPlain } from '../protocol/to-plain.js';
import { byteLimit } from './byte-limit.js';
import { PublishWindow } from './publish-window.js';
import { resolveRedisSettings } from '../options/redis-settings.js';
import type {
  DeprecatedRedisSettings,
  RedisClusterConnection,
  RedisSettings,
} from '../interfaces/redis-broker-options.interface.js';
import {
  assertRedisInstalled,
  closeRedisClient,
  createClusterClient,
  createRedisClient,
  describeRedis,
  isClusterClient,
  isClusterConnection,
  isRedisClient,
  loadClusterClientClass,
  loadRedisClientClass,
  newSenderId,
  startConnecting,
  whenReady,
  type RedisOrCluster,
} from './redis-connection.js';
import { RedisEnvelope } from './redis-envelope.js';
import { RedisPubSub } from './redis-pubsub.js';

/**
 * The app's Redis settings (the object given to `forRoot({ redis })` can be passed as it is: the
 * emitter must use the app's `prefix` and `secret`), plus how payloads are serialized.
 */
export type SocketApiEmitterOptions = (RedisSettings | DeprecatedRedisSettings) & {
  /** class-transformer options, when payloads hold class instances (the app's `serialization`). */
  serialization?: ClassTransformOptions;
};

/**
 * Publishes to an app's channels from outside it (a worker, a script, a cron job): no Nest app,
 * no sockets, only a Redis connection. Every instance of the app that has subscribers to the
 * channel sends them `{"type":"data","channel":channel,"data":payload}`, the very frame a
 * publication made in the app gives.
 *
 * The payload is sent as it is: the channel method is NOT run (it lives in the app), so whatever it
 * would compute or check does not happen here.
 *
 * Needs ioredis (`npm i ioredis`, an optional peer dependency) unless `connection` is a client:
 * without it, the constructor throws an error saying so.
 */
export class SocketApiEmitter {
  /** The client passed in, or ours once made (when the first publication waits for the connection). */
  private client?: RedisOrCluster;
  /** Where our client connects; undefined when the caller passed a client (theirs, never closed here). */
  private readonly connection?: string | RedisOptions | RedisClusterConnection;
  /** Plain or sharded pub/sub, as the app's broker (see `RedisPubSub`). */
  private readonly pubSub: RedisPubSub;
  private readonly envelope: RedisEnvelope;
  private readonly window: PublishWindow;
  private readonly connectTimeoutMs: number;
  /** Publications waiting for the connection: they go out in call order once it is ready. */
  private queue: Promise<void> | undefined;
  private queued = 0;
  private closed = false;

  constructor(private readonly options: SocketApiEmitterOptions) {
    const settings = resolveRedisSettings(options, 'SocketApiEmitter', (message) =>
      new Logger('SocketApiEmitter').warn(message),
    );
    this.connectTimeoutMs = settings.connectTimeoutMs;
    if (options.secret === '') throw new Error('SocketApiEmitter: `secret` must not be empty.');
    const maxMessageBytes = byteLimit('SocketApiEmitter: maxMessageBytes', settings.maxMessageBytes);
    this.envelope = new RedisEnvelope(newSenderId(), options.secret, maxMessageBytes);
    this.window = new PublishWindow(byteLimit('SocketApiEmitter: maxPendingBytes', settings.maxPendingBytes));
    const { connection } = settings;
    this.pubSub = new RedisPubSub(
      settings.prefix,
      isClusterConnection(connection) || (isRedisClient(connection) && isClusterClient(connection)),
    );
    if (isRedisClient(connection)) {
      this.client = connection;
    } else {
      // ioredis is loaded by the first publication; a missing one is reported now, as the emitter is made.
      assertRedisInstalled();
      this.connection = connection;
    }
  }

  /**
   * Publishes `payload` on `channel` to every instance of the app. Resolves once Redis has it;
   * rejects when Redis cannot be reached within `connectTimeoutMs`, when the message is larger than
   * `maxMessageBytes`, or at once when `maxPendingBytes` of publications already wait for Redis (it
   * is slow, hung or unreachable). Publications from one emitter arrive in the order `publish` was called.
   */
  publish(channel: string, payload: unknown): Promise<void> {
    if (this.closed) return Promise.reject(new Error('SocketApiEmitter is closed.'));
    const key = this.pubSub.channel(channel);
    let message: Buffer;
    try {
      message = this.envelope.encode(
        key,
        Buffer.from(dataFrame(channel, toPlain(payload, this.options.serialization))),
      );
    } catch (error) {
      return Promise.reject(error instanceof Error ? error : new Error(String(error)));
    }
    if (message.length > this.envelope.maxMessageBytes) {
      return Promise.reject(
        new Error(
          `The publication is ${message.length} bytes, larger than maxMessageBytes (${this.envelope.maxMessageBytes}).`,
        ),
      );
    }
    if (!this.window.acquire(message.length)) {
      return Promise.reject(
        new Error(
          `${this.redisName()} has not taken the ${this.window.pendingCommands} publication(s) ` +
            `before (${this.window.pendingBytes} bytes, maxPendingBytes ${this.window.maxBytes}): this one is dropped.`,
        ),
      );
    }
    return this.whenSendable()
      .then(() => this.pubSub.publish(this.client!, key, message))
      .then(() => undefined)
      .finally(() => this.window.release(message.length));
  }

  /** Closes the connection (not a client passed in as `connection`: that one stays the caller's). */
  async close(): Promise<void> {
    if (this.closed) return;
    this.closed = true;
    if (this.connection !== undefined && this.client) await closeRedisClient(this.client);
  }

  /**
   * Resolves when a publication may be sent: at once when connected and nothing waits before it,
   * else behind the publications already waiting for the connection (bounded by `connectTimeoutMs`).
   */
  private whenSendable(): Promise<void> {
    if (this.client?.status === 'ready' && this.queued === 0) return Promise.resolve();
    this.queued++;
    const ready = (this.queue ??= this.connected());
    const leave = () => {
      this.queued--;
      if (this.queued === 0) this.queue = undefined;
    };
    return ready.then(leave, (error: unknown) => {
      leave();
      throw error;
    });
  }

  private async connected(): Promise<void> {
    const client = this.client ?? (await this.createClient(this.connection!));
    startConnecting(client);
    await whenReady([client], this.connectTimeoutMs);
  }

  private async createClient(connection: string | RedisOptions | RedisClusterConnection): Promise<RedisOrCluster> {
    // Fail fast while Redis is down rather than queue publications to be sent late.
    const failFast: Partial<RedisOptions> = {
      enableOfflineQueue: false,
      autoResendUnfulfilledCommands: false,
      maxRetriesPerRequest: 0, // a publish in flight at a disconnect is rejected, not left unsettled (see the broker's)
    };
    let client: RedisOrCluster;
    if (isClusterConnection(connection)) {
      const ClusterClient = await loadClusterClientClass();
      if (this.closed) throw new Error('SocketApiEmitter is closed.');
      // As the broker's publisher: a publication whose connection closed is not sent again (it may have gone out).
      client = createClusterClient(ClusterClient, connection, {
        cluster: { enableOfflineQueue: false, retryDelayOnFailover: 0, retryDelayOnClusterDown: 0 },
        node: failFast,
      });
    } else {
      const RedisClient = await loadRedisClientClass();
      if (this.closed) throw new Error('SocketApiEmitter is closed.');
      client = createRedisClient(RedisClient, connection, failFast);
    }
    client.on('error', () => undefined); // reported through publish()'s rejection
    this.client = client;
    return client;
  }

  private redisName(): string {
    return this.client ? `Redis at ${describeRedis(this.client)}` : 'Redis';
  }
}
