import type { EventEmitter } from 'node:events';
import type { Cluster } from 'ioredis';

/** What this guard reads of ioredis's sharded subscribers (internal: `Cluster.shardedSubscribers`). */
interface ShardedSubscriber {
  instance: EventEmitter | null;
  stop(): void;
}

const ignore = (): void => undefined;
const guarded = new WeakSet<ShardedSubscriber>();

/**
 * ioredis (5.11 and 6.1 alike) stops a cluster's sharded subscriber with `disconnect()`, then
 * `removeAllListeners()`. What the node still sends before the socket closes, such as the unsolicited
 * SUNSUBSCRIBE of a master demoted by a failover, is then read as the reply to no command, and the
 * connection emits `'error'` with no listener left: an uncaught exception that ends the process (seen in
 * test/scale/cluster.e2e.spec.ts under load). So the connection of every stopped sharded subscriber keeps
 * one listener that ignores its errors: nothing is subscribed there any more. ioredis's internals are read
 * defensively: where they are not as expected, nothing is done. Returns what undoes the watch.
 */
export function quietStoppedSubscribers(cluster: Cluster): () => void {
  const guardAll = (): void => {
    const group = (cluster as unknown as { shardedSubscribers?: { shardedSubscribers?: unknown } }).shardedSubscribers;
    const subscribers = group?.shardedSubscribers;
    if (!(subscribers instanceof Map)) return;
    for (const subscriber of subscribers.values() as IterableIterator<ShardedSubscriber>) guard(subscriber);
  };
  guardAll();
  // Emitted by ioredis as it makes a sharded subscriber, before that one can be stopped.
  cluster.on('+subscriber', guardAll);
  return () => cluster.off('+subscriber', guardAll);
}

function guard(subscriber: ShardedSubscriber): void {
  if (guarded.has(subscriber) || typeof subscriber.stop !== 'function') return;
  guarded.add(subscriber);
  const stop = subscriber.stop.bind(subscriber);
  subscriber.stop = () => {
    const connection = subscriber.instance;
    stop();
    connection?.on('error', ignore);
  };
}
