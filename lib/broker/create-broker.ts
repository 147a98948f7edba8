import type { SocketApiModuleOptions } from '../interfaces/socket-api-options.interface.js';
import { InMemoryBroker } from './in-memory.broker.js';
import { RedisBroker } from './redis.broker.js';
import type { SocketApiBroker } from '../interfaces/socket-api-broker.interface.js';

/** The broker `forRoot`'s options ask for: `broker` if given, else Redis if `redis`, else in memory. */
export function createBroker(options: SocketApiModuleOptions): SocketApiBroker {
  if (options.broker) return options.broker;
  if (options.redis !== undefined) {
    return new RedisBroker({
      redis: options.redis,
      prefix: options.redisPrefix,
      connectTimeoutMs: options.redisConnectTimeoutMs,
      secret: options.redisSecret,
      maxPendingBytes: options.redisMaxPendingBytes,
      maxMessageBytes: options.redisMaxMessageBytes,
    });
  }
  return new InMemoryBroker();
}
