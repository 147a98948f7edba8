import type { ClassTransformOptions } from 'class-transformer';
import type { Redis } from 'ioredis';
import { dataFrame } from '../protocol/server-messages.js';
import { toPlain } from '../protocol/to-plain.js';
import type { RedisConnection } from './redis-broker-options.interface.js';
import {
  closeRedisClient,
  createRedisClient,
  DEFAULT_REDIS_CONNECT_TIMEOUT_MS,
  DEFAULT_REDIS_PREFIX,
  encodePublication,
  isRedisClient,
  newSenderId,
  senderHeader,
  startConnecting,
  whenReady,
} from './redis-connection.js';

export interface SocketApiEmitterOptions {
  /** The Redis the app's instances use (`forRoot({ redis })`): URL, ioredis options or a client. */
  redis: RedisConnection;
  /** The app's `redisPrefix`. Default `'socketapi'`. */
  prefix?: string;
  /** class-transformer options, when payloads hold class instances (the app's `serialization`). */
  serialization?: ClassTransformOptions;
  /** How long a publication waits for Redis to be reachable before it fails. Default 5000 ms. */
  connectTimeoutMs?: number;
}

/**
 * Publishes to an app's channels from outside it (a worker, a script, a cron job): no Nest app,
 * no sockets, only a Redis connection. Every instance of the app that has subscribers to the
 * channel sends them `{"type":"data","channel":channel,"data":payload}`, the very frame a
 * publication made in the app gives.
 *
 * The payload is sent as it is: the channel method is NOT run (it lives in the app), so whatever it
 * would compute or check does not happen here.
 */
export class SocketApiEmitter {
  private readonly client: Redis;
  private readonly ownsClient: boolean;
  private readonly prefix: string;
  private readonly header = senderHeader(newSenderId());
  private readonly connectTimeoutMs: number;
  /** Publications waiting for the connection: they go out in call order once it is ready. */
  private queue: Promise<void> | undefined;
  private queued = 0;
  private closed = false;

  constructor(private readonly options: SocketApiEmitterOptions) {
    this.prefix = options.prefix ?? DEFAULT_REDIS_PREFIX;
    this.connectTimeoutMs = options.connectTimeoutMs ?? DEFAULT_REDIS_CONNECT_TIMEOUT_MS;
    if (isRedisClient(options.redis)) {
      this.client = options.redis;
      this.ownsClient = false;
    } else {
      // Fail fast while Redis is down rather than queue publications to be sent late.
      this.client = createRedisClient(options.redis, { enableOfflineQueue: false, autoResendUnfulfilledCommands: false });
      this.client.on('error', () => undefined); // reported through publish()'s rejection
      this.ownsClient = true;
    }
  }

  /**
   * Publishes `payload` on `channel` to every instance of the app. Resolves once Redis has it;
   * rejects when Redis cannot be reached within `connectTimeoutMs`. Publications from one emitter
   * arrive in the order `publish` was called.
   */
  publish(channel: string, payload: unknown): Promise<void> {
    if (this.closed) return Promise.reject(new Error('SocketApiEmitter is closed.'));
    let message: Buffer;
    try {
      const frame = Buffer.from(dataFrame(channel, toPlain(payload, this.options.serialization)));
      message = encodePublication(this.header, frame);
    } catch (error) {
      return Promise.reject(error);
    }
    const key = `${this.prefix}:${channel}`;
    if (this.client.status === 'ready' && this.queued === 0) return this.send(key, message);
    // Not connected yet: wait (bounded), behind the publications already waiting.
    this.queued++;
    const ready = (this.queue ??= this.connected());
    return ready.then(
      () => {
        this.queued--;
        if (this.queued === 0) this.queue = undefined;
        return this.send(key, message);
      },
      (error: unknown) => {
        this.queued--;
        if (this.queued === 0) this.queue = undefined;
        throw error;
      },
    );
  }

  /** Closes the connection (not a client passed in as `redis`: that one stays the caller's). */
  async close(): Promise<void> {
    if (this.closed) return;
    this.closed = true;
    if (this.ownsClient) await closeRedisClient(this.client);
  }

  private connected(): Promise<void> {
    startConnecting(this.client);
    return whenReady([this.client], this.connectTimeoutMs);
  }

  private async send(key: string, message: Buffer): Promise<void> {
    await this.client.publish(key, message);
  }
}
