import type { ResolvedSocketApiOptions } from '../options/resolved-options.js';
import { InMemoryBroker } from './in-memory.broker.js';
import { RedisBroker } from './redis.broker.js';
import type { SocketApiBroker } from '../interfaces/socket-api-broker.interface.js';

/** The broker `forRoot`'s options ask for: `broker` if given, else Redis if `redis`, else in memory. */
export function createBroker(options: ResolvedSocketApiOptions): SocketApiBroker {
  if (options.broker) return options.broker;
  if (options.redis) return new RedisBroker(options.redis);
  return new InMemoryBroker();
}
