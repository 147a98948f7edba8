import type { Redis } from 'ioredis';
import { decodePresenceMessage, isPresenceMessage } from '../../lib/broker/presence-envelope.js';
import { RedisBroker } from '../../lib/broker/redis.broker.js';
import { RedisPresenceStore } from '../../lib/broker/redis-presence-store.js';
import type { StreamSink } from '../../lib/interfaces/channel-stream.interface.js';
import type { RedisBrokerOptions } from '../../lib/interfaces/redis-broker-options.interface.js';
import type { RemoteDelivery } from '../../lib/interfaces/socket-api-broker.interface.js';

/**
 * STAND-IN until P3's broker wiring merges: a RedisBroker with the presence store getter and the p1
 * decode that P3 adds to `RedisBroker` itself (see the P4 report, "connecting"). The hub does not pass
 * its sink to `connect` before P2/P3 either, so the test hands the hub in with `attach`.
 */
export class PresenceRedisBroker extends RedisBroker {
  private store?: RedisPresenceStore;
  private sink?: Pick<StreamSink, 'presence'>;

  constructor(
    options: RedisBrokerOptions,
    private readonly presenceTiming: { ttlMs?: number; intervalMs?: number } = {},
  ) {
    super(options);
  }

  get presence(): RedisPresenceStore {
    this.store ??= new RedisPresenceStore({
      client: () => this.connection('publisher'),
      prefix: this.prefix,
      senderId: this.instanceId,
      ttlMs: this.presenceTiming.ttlMs,
      intervalMs: this.presenceTiming.intervalMs,
      logger: { warn: () => undefined },
    });
    return this.store;
  }

  attach(sink: Pick<StreamSink, 'presence'>): void {
    this.sink = sink;
  }

  override async connect(deliver: RemoteDelivery): Promise<void> {
    await super.connect(deliver);
    this.connection('subscriber')!.on('messageBuffer', (redisChannel: Buffer, message: Buffer) => {
      if (!isPresenceMessage(message)) return;
      const decoded = decodePresenceMessage(message);
      if (typeof decoded === 'string') return;
      const name = redisChannel.toString().slice(this.prefix.length + 1);
      this.sink?.presence(name, decoded.event, decoded.member);
    });
  }

  private connection(which: 'publisher' | 'subscriber'): Redis | undefined {
    return (this as unknown as Record<typeof which, Redis | undefined>)[which];
  }
}
