import { Logger } from '@nestjs/common';
import type { Cluster, RedisOptions } from 'ioredis';
import type {
  RedisBrokerLogger,
  RedisBrokerOptions,
  RedisBrokerStats,
} from '../interfaces/redis-broker-options.interface.js';
import { byteLimit } from './byte-limit.js';
import { CommandDeadline } from './command-deadline.js';
import { PublishWindow } from './publish-window.js';
import {
  closeRedisClient,
  createClusterClient,
  createRedisClient,
  describeRedis,
  duplicateCluster,
  isClusterClient,
  isClusterConnection,
  isRedisClient,
  loadClusterClientClass,
  loadRedisClientClass,
  newSenderId,
  startConnecting,
  whenReady,
  type ClusterOverrides,
  type RedisOrCluster,
} from './redis-connection.js';
import { RedisPubSub } from './redis-pubsub.js';
import { OWN_MESSAGE, RedisEnvelope } from './redis-envelope.js';
import { RedisControl } from './redis-control.js';
import { RedisUserLimit } from './redis-user-limit.js';
import { decodePresenceMessage, isPresenceMessage } from './presence-envelope.js';
import { RedisPresenceStore } from './redis-presence-store.js';
import { RedisHistoryStore, type HistoryFailure, type RedisHistoryLink } from './redis-history-store.js';
import { isStoredMessage, StreamEnvelope } from './stream-envelope.js';
import { quietStoppedSubscribers } from './stopped-subscriber-guard.js';
import type { HistoryStore, PresenceStore, StreamSink } from '../interfaces/channel-stream.interface.js';
import type { ControlTransport, UserConnectionStore } from '../interfaces/connection-control.interface.js';
import type { RemoteDelivery, SocketApiBroker } from '../interfaces/socket-api-broker.interface.js';
import {
  historyAppendError,
  historyAppendTimedOut,
  historyFailedDuringBacklog,
  historyFailedDuringOutage,
  historyNotListening,
  plainPublicationOnHistoryChannel,
} from '../logging/log.messages.js';
import { HistoryUnavailableError } from '../protocol/errors.js';
import { ThrottledWarning } from '../logging/throttled-warning.js';
import { resolveRedisSettings } from '../options/redis-settings.js';
import type { ResolvedRedisSettings } from '../options/resolved-options.js';

/**
 * Publishes fail fast while Redis is down (nothing queues up to be sent late), and a PUBLISH in
 * flight when the connection drops is not sent again after reconnecting: Redis may have run it
 * already, and sending it twice would deliver it twice.
 */
const PUBLISHER: Partial<RedisOptions> = {
  enableOfflineQueue: false,
  autoResendUnfulfilledCommands: false,
  // Without resending, ioredis forgets the commands in flight at a disconnect when it reconnects, their
  // promises never settled (a history append, a presence write, a PUBLISH's window room: held forever).
  // 0 rejects them as the connection closes.
  maxRetriesPerRequest: 0,
};

/**
 * The publisher on a Redis Cluster: as `PUBLISHER` on each node, and no retry of a command whose connection
 * closed (`retryDelayOnFailover: 0`): the history script may have run, and running it again would store the
 * publication twice. A `CLUSTERDOWN` (the slot has no master, mid-failover) fails at once too
 * (`retryDelayOnClusterDown: 0`): nothing waits to be sent late, as on one Redis. Redirections (`MOVED`,
 * `ASK`) are followed: the command did not run. Reads go to masters, which hold the latest writes.
 */
const CLUSTER_PUBLISHER: ClusterOverrides = {
  cluster: { enableOfflineQueue: false, retryDelayOnFailover: 0, retryDelayOnClusterDown: 0, scaleReads: 'master' },
  node: PUBLISHER,
};

/**
 * The subscriber on a Redis Cluster: sharded subscriptions (ioredis keeps one connection per master and
 * subscribes each channel on the master of its slot, again after a topology change).
 */
const CLUSTER_SUBSCRIBER: ClusterOverrides = {
  cluster: { enableOfflineQueue: false, shardedSubscribers: true },
  node: { maxRetriesPerRequest: 0, autoResendUnfulfilledCommands: false },
};

/** Unanswered SUBSCRIBE/UNSUBSCRIBE commands past which no more are sent (see `sendSubscription`). */
const MAX_SUBSCRIPTION_COMMANDS = 64;

/** The subscriber resubscribes by itself on `ready`, from the set of channels watched here. */
const SUBSCRIBER: Partial<RedisOptions> = {
  enableOfflineQueue: false,
  autoResendUnfulfilledCommands: false,
  maxRetriesPerRequest: 0, // as the publisher's: a SUBSCRIBE in flight at a disconnect is answered (rejected)
  autoResubscribe: false,
};

/**
 * Carries publications between the app's instances through Redis pub/sub. Needs ioredis (`npm i
 * ioredis`, an optional peer dependency) unless `redis` is a client: without it, `connect()` (the
 * app's startup) fails saying so.
 *
 * - Each publication made here is one PUBLISH on `${prefix}:${channel}` (on a Redis Cluster, one SPUBLISH on
 *   `${prefix}:{${channel}}`, see `RedisPubSub`: every pub/sub command goes through it), whatever the number of
 *   subscribers, through one connection (so one instance's publications to a channel keep their
 *   order), in a versioned envelope (see `RedisEnvelope`), signed when a `secret` is set. Its own
 *   messages coming back are ignored: they were delivered here already.
 * - What comes from Redis is untrusted: a message that is not a valid envelope holding a `data`
 *   frame of its channel is ignored, counted (`stats.rejected`) and logged at most every 10 s.
 * - This instance SUBSCRIBEs to `${prefix}:${channel}` only while the channel has subscribers here,
 *   on a second connection (a subscribed connection can do nothing else).
 * - While Redis is down, publications still reach this instance's subscribers; those meant for the
 *   other instances are dropped (counted in `stats.dropped`), never queued. The outage is logged
 *   once; ioredis reconnects with backoff, and every watched channel is subscribed again.
 * - While Redis is up but does not answer (hung), at most `maxPendingBytes` of publications wait for
 *   it; the others are dropped and counted as in an outage, and the episode is logged once.
 * - Channels with history go through `history` (a `RedisHistoryStore` on the same connection): their
 *   publications are PUBLISHed by its script with their offset (`h1`, see `StreamEnvelope`), and handed to
 *   the `sink` when they come back, this instance's own included; a plain `v1` publication on such a
 *   channel is refused. While Redis is down they fail (`stats.historyFailed`), logged once per outage.
 * - `control` carries `SocketApiConnections`' messages between the instances (see `RedisControl`), and
 *   `users` holds the per-user connection counts of `maxConnectionsPerUser` (see `RedisUserLimit`).
 */
export class RedisBroker implements SocketApiBroker {
  /** Random per broker: tells this instance's messages from the others'. */
  readonly instanceId = newSenderId();
  readonly prefix: string;
  /** Plain or sharded pub/sub: the one way channels are published and subscribed to. */
  private readonly pubSub: RedisPubSub;
  private readonly envelope: RedisEnvelope;
  private readonly window: PublishWindow;
  private readonly logger: RedisBrokerLogger;
  private readonly rejections: ThrottledWarning;
  private readonly oversized: ThrottledWarning;
  private readonly watched = new Set<string>();
  private readonly counters: RedisBrokerStats = {
    published: 0,
    dropped: 0,
    received: 0,
    rejected: 0,
    outages: 0,
    historyFailed: 0,
  };
  private readonly streamEnvelope: StreamEnvelope;
  // Typed by their interfaces in public: the stores' own types name ioredis's, which an app without ioredis lacks.
  private readonly historyStore: RedisHistoryStore;
  private readonly presenceStore: RedisPresenceStore;
  // Typed by their interfaces in public (below), as the stores: their own types name ioredis's.
  private readonly controlTransport: RedisControl;
  private readonly userLimit: RedisUserLimit;
  /** Settles once the subscriber's SUBSCRIBE to the control channels is answered. */
  private controlSubscribed: Promise<void> = Promise.resolve();
  private sink?: StreamSink;
  /** Watched channels known to have history (the store used them): a `v1` publication on them is refused. */
  private readonly historyChannels = new Set<string>();
  /** Watched channels whose SUBSCRIBE Redis acknowledged on the current connection. */
  private readonly listeningTo = new Set<string>();
  /**
   * The latest SUBSCRIBE sent for each watched channel (a number per command): only its acknowledgement counts,
   * not an older one answered before an UNSUBSCRIBE/SUBSCRIBE pair of the same channel is processed.
   */
  private readonly latestSubscribe = new Map<string, number>();
  private subscribeCommandsSent = 0;
  /** `listening()` calls waiting for their channel's SUBSCRIBE to be acknowledged. */
  private readonly awaitingListen = new Map<string, Array<{ resolve: () => void; reject: (error: Error) => void }>>();
  /** Channels subscribed again after a reconnect, to hand to `sink.resumed` once the history store is usable. */
  private readonly resuming = new Set<string>();
  private readonly historyErrors: ThrottledWarning;
  private publisher?: RedisOrCluster;
  private subscriber?: RedisOrCluster;
  /** On a cluster: the channels with an SSUBSCRIBE sent and no SUNSUBSCRIBE since (see `resubscribeAll`). */
  private readonly shardSubscribed = new Set<string>();
  private ownsPublisher = false;
  private deliver?: RemoteDelivery;
  private started = false;
  private closed = false;
  private lastError?: Error;
  /** Set while an outage lasts: when it began and the drop and history failure counts then. */
  private outage?: { since: number; droppedBefore: number; historyFailedBefore: number };
  /** Set while Redis is not answering fast enough (the window is full): when it began and the counts then. */
  private backlog?: { since: number; droppedBefore: number; historyFailedBefore: number };
  private readonly detach: Array<() => void> = [];
  /** SUBSCRIBE/UNSUBSCRIBE commands sent and not answered. */
  private subscriptionCommands = 0;
  /** Some were not sent (too many unanswered): subscribe again from `watched` once Redis answers. */
  private resubscribeNeeded = false;

  private readonly settings: ResolvedRedisSettings;
  /** How long a subscribe to a channel with history waits for Redis's SUBSCRIBE acknowledgement (`commandTimeoutMs`). */
  private readonly deadline: CommandDeadline;

  constructor(options: RedisBrokerOptions) {
    this.logger = options.logger ?? new Logger('SocketApiRedisBroker');
    this.settings = resolveRedisSettings(options, 'RedisBroker', (message) => this.logger.warn(message));
    this.prefix = this.settings.prefix;
    const { connection } = this.settings;
    this.pubSub = new RedisPubSub(
      this.prefix,
      isClusterConnection(connection) || (isRedisClient(connection) && isClusterClient(connection)),
    );
    if (options.secret === '') throw new Error('RedisBroker: `secret` must not be empty.');
    this.envelope = new RedisEnvelope(
      this.instanceId,
      options.secret,
      byteLimit('RedisBroker: maxMessageBytes (redis.maxMessageBytes)', this.settings.maxMessageBytes),
    );
    this.window = new PublishWindow(
      byteLimit('RedisBroker: maxPendingBytes (redis.maxPendingBytes)', this.settings.maxPendingBytes),
    );
    this.rejections = new ThrottledWarning(this.logger);
    this.oversized = new ThrottledWarning(this.logger);
    this.historyErrors = new ThrottledWarning(this.logger);
    this.streamEnvelope = new StreamEnvelope(this.instanceId, options.secret);
    this.deadline = new CommandDeadline(this.settings.commandTimeoutMs);
    this.historyStore = new RedisHistoryStore(this.historyLink());
    this.presenceStore = new RedisPresenceStore({
      client: () => this.publisher,
      prefix: this.prefix,
      sharded: this.pubSub.sharded,
      senderId: this.instanceId,
      ttlMs: this.settings.presenceTtlMs,
      intervalMs: this.settings.presenceIntervalMs,
      commandTimeoutMs: this.settings.commandTimeoutMs,
      logger: this.logger,
    });
    this.controlTransport = new RedisControl({
      instanceId: this.instanceId,
      pubSub: this.pubSub,
      envelope: this.envelope,
      publisher: () => this.publisher,
      rejected: (redisChannel, reason) => this.rejected(redisChannel, reason),
    });
    this.userLimit = new RedisUserLimit({
      client: () => this.publisher,
      prefix: this.prefix,
      ttlMs: this.settings.presenceTtlMs,
      intervalMs: this.settings.presenceIntervalMs,
      logger: this.logger,
    });
  }

  /** The history of channels, shared by the instances through this broker's Redis. */
  get history(): HistoryStore {
    return this.historyStore;
  }

  /** Who is in the presence channels, shared by the instances through this broker's Redis. */
  get presence(): PresenceStore {
    return this.presenceStore;
  }

  /** The control messages between the instances (`SocketApiConnections`), through Redis pub/sub. */
  get control(): ControlTransport {
    return this.controlTransport;
  }

  /** Each user's connections over the instances (`maxConnectionsPerUser`), in Redis. */
  get users(): UserConnectionStore {
    return this.userLimit;
  }

  get stats(): Readonly<RedisBrokerStats> {
    return { ...this.counters };
  }

  /** Bytes of publications sent to Redis and not acknowledged yet (at most `maxPendingBytes`). */
  get pendingBytes(): number {
    return this.window.pendingBytes;
  }

  /** Both connections are up. */
  get connected(): boolean {
    return this.publisher?.status === 'ready' && this.subscriber?.status === 'ready';
  }

  /** Channels this instance is subscribed to on Redis (those with subscribers here). */
  get watchedChannels(): ReadonlySet<string> {
    return this.watched;
  }

  /** The Redis channel of a channel. */
  redisChannel(channel: string): string {
    return this.pubSub.channel(channel);
  }

  async connect(deliver: RemoteDelivery, sink?: StreamSink): Promise<void> {
    if (this.deliver) throw new Error('RedisBroker.connect() was called twice.');
    this.deliver = deliver;
    this.sink = sink;
    const redis = this.settings.connection;
    if (isRedisClient(redis)) {
      // The caller's client publishes; the subscriber is a connection of ours beside it.
      this.publisher = redis;
      this.subscriber = isClusterClient(redis)
        ? duplicateCluster(redis, CLUSTER_SUBSCRIBER)
        : redis.duplicate({ ...SUBSCRIBER, lazyConnect: true });
    } else if (isClusterConnection(redis)) {
      const ClusterClient = await loadClusterClientClass();
      if (this.closed) throw new Error('RedisBroker was closed while connecting.');
      this.publisher = createClusterClient(ClusterClient, redis, CLUSTER_PUBLISHER);
      this.subscriber = createClusterClient(ClusterClient, redis, CLUSTER_SUBSCRIBER);
      this.ownsPublisher = true;
    } else {
      // ioredis is loaded here, at the app's startup: without it, the app fails to start, saying what to install.
      const RedisClient = await loadRedisClientClass();
      if (this.closed) throw new Error('RedisBroker was closed while connecting.');
      this.publisher = createRedisClient(RedisClient, redis, PUBLISHER);
      this.subscriber = createRedisClient(RedisClient, redis, SUBSCRIBER);
      this.ownsPublisher = true;
    }
    this.listen(this.publisher, this.ownsPublisher);
    this.listen(this.subscriber, true);
    if (isClusterClient(this.subscriber)) this.followTopology(this.subscriber);
    this.detach.push(this.historyStore.attach(this.publisher));
    this.subscriber.on(this.pubSub.messageEvent, (channel: Buffer, message: Buffer) =>
      this.onMessage(channel, message),
    );
    startConnecting(this.publisher);
    startConnecting(this.subscriber);
    const timeoutMs = this.settings.connectTimeoutMs;
    try {
      await whenReady([this.publisher, this.subscriber], timeoutMs);
      await this.historyStore.incarnationRead;
      // Reachable by the other instances' control from the moment the app has started.
      await this.controlSubscribed;
    } catch (error) {
      await this.close();
      throw error;
    }
    this.started = true;
    this.logger.log(`Connected to Redis at ${describeRedis(this.publisher)} (prefix '${this.prefix}')`);
  }

  publish(channel: string, frame: Buffer): void {
    try {
      const publisher = this.publisher;
      if (this.closed || !publisher || publisher.status !== 'ready') return this.dropped();
      const redisChannel = this.redisChannel(channel);
      const message = this.envelope.encode(redisChannel, frame);
      if (message.length > this.envelope.maxMessageBytes) return this.droppedOversized(channel, message.length);
      if (!this.window.acquire(message.length)) return this.droppedBacklogged();
      this.pubSub.publish(publisher, redisChannel, message).then(
        () => this.settled(message.length, true),
        () => this.settled(message.length, false),
      );
    } catch {
      this.dropped();
    }
  }

  watch(channel: string): void {
    this.watched.add(channel);
    this.sendSubscription('subscribe', channel);
  }

  unwatch(channel: string): void {
    this.watched.delete(channel);
    this.historyChannels.delete(channel);
    this.listeningTo.delete(channel);
    this.latestSubscribe.delete(channel);
    this.resuming.delete(channel);
    this.settleListening(channel, new Error(historyNotListening(channel)));
    this.sendSubscription('unsubscribe', channel);
  }

  /**
   * Resolves once Redis acknowledged this instance's SUBSCRIBE to `channel` (watched), so that every
   * publication stored after that reaches this instance. Rejects `HistoryUnavailableError` while Redis is
   * down, not answering within `commandTimeoutMs` (or when the connection drops before the acknowledgement),
   * an `Error` when `channel` is not watched.
   */
  listening(channel: string): Promise<void> {
    if (!this.watched.has(channel)) return Promise.reject(new Error(historyNotListening(channel)));
    if (this.subscriber?.status !== 'ready') return Promise.reject(this.unavailable(channel));
    if (this.listeningTo.has(channel)) return Promise.resolve();
    let listener!: { resolve: () => void; reject: (error: Error) => void };
    const acknowledged = new Promise<void>((resolve, reject) => {
      listener = { resolve, reject };
      const waiting = this.awaitingListen.get(channel);
      if (waiting) waiting.push(listener);
      else this.awaitingListen.set(channel, [listener]);
    });
    return this.deadline.race(acknowledged, () => {
      // Given up: not kept until Redis answers (a client retrying against a hung Redis would pile them up).
      const waiting = this.awaitingListen.get(channel) ?? [];
      const index = waiting.indexOf(listener);
      if (index >= 0) waiting.splice(index, 1);
      if (waiting.length === 0) this.awaitingListen.delete(channel);
      return this.unavailable(channel);
    });
  }

  async close(): Promise<void> {
    if (this.closed) return;
    this.closed = true;
    this.userLimit.close();
    for (const detach of this.detach.splice(0)) detach();
    this.stopListening();
    const closing: Array<Promise<void>> = [];
    if (this.subscriber) closing.push(closeRedisClient(this.subscriber));
    // A client the caller passed in is theirs to close.
    if (this.publisher && this.ownsPublisher) closing.push(closeRedisClient(this.publisher));
    await Promise.all(closing);
  }

  private onMessage(redisChannel: Buffer, message: Buffer): void {
    if (this.controlTransport.carries(redisChannel)) return this.controlTransport.received(redisChannel, message);
    if (isStoredMessage(message)) return this.onStoredMessage(redisChannel, message);
    if (isPresenceMessage(message)) return this.onPresenceMessage(redisChannel, message);
    const frame = this.envelope.decode(redisChannel, message);
    if (frame === OWN_MESSAGE) return;
    if (typeof frame === 'string') return this.rejected(redisChannel, frame);
    const name = this.pubSub.name(redisChannel);
    // Every publication of a channel with history has an offset; one without would be delivered out of its stream.
    if (this.historyChannels.has(name)) return this.rejected(redisChannel, plainPublicationOnHistoryChannel);
    let delivered: boolean | undefined;
    try {
      delivered = this.deliver?.(name, frame);
    } catch (error) {
      this.logger.error(
        `Delivering a publication on '${name}' from another instance failed`,
        error instanceof Error ? error.stack : String(error),
      );
      return;
    }
    if (delivered === false) return this.rejected(redisChannel, `not a data frame of channel '${name}'`);
    this.counters.received++;
  }

  /** An `h1` message (a stored publication of a channel with history): to the sink, own ones included. */
  private onStoredMessage(redisChannel: Buffer, message: Buffer): void {
    if (message.length > this.envelope.maxMessageBytes) {
      return this.rejected(redisChannel, `larger than ${this.envelope.maxMessageBytes} bytes`);
    }
    const decoded = this.streamEnvelope.decode(redisChannel, message);
    if (typeof decoded === 'string') return this.rejected(redisChannel, decoded);
    const name = this.pubSub.name(redisChannel);
    try {
      this.sink?.stored(name, decoded.data, decoded.position);
    } catch (error) {
      this.logger.error(
        `Delivering a stored publication on '${name}' failed`,
        error instanceof Error ? error.stack : String(error),
      );
      return;
    }
    if (!decoded.own) this.counters.received++;
  }

  /** A `p1` message (a presence join or leave, published by a store script): to the sink, own ones included. */
  private onPresenceMessage(redisChannel: Buffer, message: Buffer): void {
    if (message.length > this.envelope.maxMessageBytes) {
      return this.rejected(redisChannel, `larger than ${this.envelope.maxMessageBytes} bytes`);
    }
    const decoded = decodePresenceMessage(message);
    if (typeof decoded === 'string') return this.rejected(redisChannel, decoded);
    const name = this.pubSub.name(redisChannel);
    try {
      this.sink?.presence(name, decoded.event, decoded.member);
    } catch (error) {
      this.logger.error(
        `Delivering a presence event on '${name}' failed`,
        error instanceof Error ? error.stack : String(error),
      );
    }
  }

  private rejected(redisChannel: Buffer, reason: string): void {
    this.counters.rejected++;
    this.rejections.report(
      (count) =>
        `Ignored ${count} message(s) on Redis that are not publications of this app (latest on '${String(redisChannel)}': ` +
        `${reason}). Another publisher on '${this.prefix}:*', an instance with another secret, or forged input.`,
    );
  }

  /**
   * On a cluster, keeps the sharded subscriptions where the channels' slots are. A master killed or failed over
   * by the cluster closes its connections: ioredis re-reads the slots and subscribes again on the new master
   * by itself. A graceful failover (`CLUSTER FAILOVER`) or a slot migration does not: the old master sends an
   * unsolicited SUNSUBSCRIBE and the connection stays up, delivering nothing more; ioredis reports it as an
   * error of that node ('nodeError'), upon which the slots are read again (which subscribes the channels on
   * their new master), and `slotsRefreshInterval` re-reads them anyway if that read came too early to see the
   * new topology. Once ioredis has subscribed again after a topology change, the streams of the channels with
   * history look for what they missed meanwhile (`resumed`).
   */
  private followTopology(subscriber: Cluster): void {
    const onNodeError = () => subscriber.refreshSlotsCache();
    const onSubscribersReady = () => {
      for (const channel of this.watched) this.resuming.add(channel);
      this.flushResumed();
    };
    subscriber.on('nodeError', onNodeError);
    subscriber.on('subscribersReady', onSubscribersReady);
    const unquiet = quietStoppedSubscribers(subscriber);
    this.detach.push(() => {
      subscriber.off('nodeError', onNodeError);
      subscriber.off('subscribersReady', onSubscribersReady);
      unquiet();
    });
  }

  private listen(client: RedisOrCluster, ours: boolean): void {
    const onReady = () => this.onReady(client);
    const onClose = () => this.onClose();
    const onError = (error: Error) => {
      this.lastError = error;
    };
    const onEnd = () => {
      // Only a retryStrategy that returns null (the user's: ours retries forever) ends a client.
      if (this.started && !this.closed) {
        this.logger.error(
          `Gave up reconnecting to Redis at ${describeRedis(client)} (retryStrategy returned no delay): ` +
            'publications reach only the subscribers of this instance until it restarts.',
        );
      }
    };
    client.on('ready', onReady);
    client.on('close', onClose);
    client.on('end', onEnd);
    // On a client of ours, errors are reported through the outage log (once), not as events.
    if (ours) client.on('error', onError);
    this.detach.push(() => {
      client.off('ready', onReady);
      client.off('close', onClose);
      client.off('end', onEnd);
      client.off('error', onError);
    });
  }

  /**
   * SUBSCRIBE/UNSUBSCRIBE as the channel's first subscriber here arrives or its last leaves. While
   * Redis does not answer, clients that subscribe and unsubscribe over and over would queue one
   * command each, without bound: past `MAX_SUBSCRIPTION_COMMANDS` unanswered, none is sent, and once
   * Redis has answered them all, the subscriptions are set again from `watched` in one go.
   */
  private sendSubscription(command: 'subscribe' | 'unsubscribe', channel: string): void {
    const subscriber = this.subscriber;
    // Not ready: every watched channel is subscribed when the connection is.
    if (subscriber?.status !== 'ready') return;
    if (this.subscriptionCommands >= MAX_SUBSCRIPTION_COMMANDS) {
      this.resubscribeNeeded = true;
      return;
    }
    this.subscriptionCommands++;
    const sent = command === 'subscribe' ? this.subscribeSent([channel]) : 0;
    const redisChannels = [this.redisChannel(channel)];
    const sending =
      command === 'subscribe'
        ? this.pubSub.subscribe(subscriber, redisChannels)
        : this.pubSub.unsubscribe(subscriber, redisChannels);
    if (this.pubSub.sharded) {
      if (command === 'subscribe') this.shardSubscribed.add(channel);
      else this.shardSubscribed.delete(channel);
    }
    sending.then(() => {
      if (command === 'subscribe') this.acknowledged([channel], sent, false);
      this.subscriptionAnswered();
    }, this.subscriptionAnswered);
  }

  private readonly subscriptionAnswered = (): void => {
    this.subscriptionCommands--;
    if (this.subscriptionCommands > 0 || !this.resubscribeNeeded || this.subscriber?.status !== 'ready') return;
    this.resubscribeNeeded = false;
    this.resubscribeAll(this.subscriber);
  };

  /** Off every channel, then on the watched ones: Redis's state is ours again, whatever was skipped. */
  private resubscribeAll(subscriber: RedisOrCluster): void {
    if (this.pubSub.sharded) {
      // SUNSUBSCRIBE without channels has no slot to be routed by: the channels subscribed and no longer watched.
      // The control channels are never among them: they stay subscribed.
      const stale = [...this.shardSubscribed].filter((channel) => !this.watched.has(channel));
      for (const channel of stale) this.shardSubscribed.delete(channel);
      if (stale.length > 0) {
        this.pubSub
          .unsubscribe(
            subscriber,
            stale.map((channel) => this.redisChannel(channel)),
          )
          .catch(() => undefined);
      }
    } else {
      subscriber.unsubscribe().catch(() => undefined);
      this.subscribeControl(subscriber);
    }
    this.listeningTo.clear();
    this.subscribeWatched(subscriber, true);
  }

  /**
   * SUBSCRIBE (SSUBSCRIBE on a cluster) to the control channels (see `RedisControl`): a new connection has no
   * subscriptions. On a cluster, ioredis subscribes them again by itself on a slot's new master after a failover,
   * as the channels'.
   */
  private subscribeControl(subscriber: RedisOrCluster): void {
    this.controlTransport.listening = false;
    this.controlSubscribed = this.pubSub.subscribe(subscriber, this.controlTransport.redisChannels).then(
      () => {
        this.controlTransport.listening = subscriber.status === 'ready';
      },
      () => undefined,
    );
  }

  /** SUBSCRIBE to every watched channel; once acknowledged, `resumed` (after a gap in listening) tells the sink. */
  private subscribeWatched(subscriber: RedisOrCluster, resumed: boolean): void {
    if (this.watched.size === 0) return;
    const channels = [...this.watched];
    const sent = this.subscribeSent(channels);
    if (this.pubSub.sharded) for (const channel of channels) this.shardSubscribed.add(channel);
    this.pubSub
      .subscribe(
        subscriber,
        channels.map((channel) => this.redisChannel(channel)),
      )
      .then(
        () => this.acknowledged(channels, sent, resumed),
        () => undefined,
      );
  }

  /** Numbers a SUBSCRIBE of `channels` about to be sent, as their latest. */
  private subscribeSent(channels: readonly string[]): number {
    const sent = ++this.subscribeCommandsSent;
    for (const channel of channels) this.latestSubscribe.set(channel, sent);
    return sent;
  }

  /** Redis acknowledged the SUBSCRIBE number `sent` of `channels` on the current connection. */
  private acknowledged(channels: readonly string[], sent: number, resumed: boolean): void {
    for (const channel of channels) {
      if (!this.watched.has(channel) || this.latestSubscribe.get(channel) !== sent) continue;
      this.listeningTo.add(channel);
      this.settleListening(channel);
      if (resumed) this.resuming.add(channel);
    }
    this.flushResumed();
  }

  /**
   * Tells the sink which channels are listened to again after a reconnect, once the history store can read
   * (it needs Redis's incarnation): their streams re-read the top and find what they missed, or that the
   * epoch changed.
   */
  private flushResumed(): void {
    if (this.resuming.size === 0 || !this.historyStore.available || this.subscriber?.status !== 'ready') return;
    const channels = [...this.resuming];
    this.resuming.clear();
    for (const channel of channels) {
      try {
        this.sink?.resumed(channel);
      } catch (error) {
        this.logger.error(
          `Resuming the stream of '${channel}' failed`,
          error instanceof Error ? error.stack : String(error),
        );
      }
    }
  }

  private settleListening(channel: string, error?: Error): void {
    const waiting = this.awaitingListen.get(channel);
    if (!waiting) return;
    this.awaitingListen.delete(channel);
    for (const listener of waiting) {
      if (error) listener.reject(error);
      else listener.resolve();
    }
  }

  /** The subscriber's connection is gone: nothing is listened to until it is back. */
  private stopListening(): void {
    this.listeningTo.clear();
    this.resuming.clear();
    for (const channel of [...this.awaitingListen.keys()]) this.settleListening(channel, this.unavailable(channel));
  }

  private unavailable(channel: string): HistoryUnavailableError {
    return new HistoryUnavailableError(historyNotListening(channel));
  }

  private onReady(client: RedisOrCluster): void {
    if (client === this.subscriber) {
      // A new connection has no subscriptions: all of them, from `watched`.
      this.resubscribeNeeded = false;
      this.listeningTo.clear();
      this.subscribeControl(client);
      this.subscribeWatched(client, this.started);
    }
    if (!this.connected) return;
    this.lastError = undefined;
    if (!this.outage) return;
    const seconds = ((Date.now() - this.outage.since) / 1000).toFixed(1);
    const dropped = this.counters.dropped - this.outage.droppedBefore;
    const historyFailed = this.counters.historyFailed - this.outage.historyFailedBefore;
    this.outage = undefined;
    this.logger.log(
      `Reconnected to Redis at ${describeRedis(client)} after ${seconds} s; resubscribed ${this.watched.size} ` +
        `channel(s). ${dropped} publication(s) made here during the outage reached this instance's subscribers only.` +
        historyFailedDuringOutage(historyFailed),
    );
  }

  private onClose(): void {
    if (this.subscriber?.status !== 'ready') {
      this.stopListening();
      this.controlTransport.listening = false;
    }
    if (!this.started || this.closed || this.outage) return;
    this.outage = {
      since: Date.now(),
      droppedBefore: this.counters.dropped,
      historyFailedBefore: this.counters.historyFailed,
    };
    this.counters.outages++;
    const cause = this.lastError ? ` (${this.lastError.message})` : '';
    this.logger.warn(
      `Lost the connection to Redis at ${describeRedis(this.publisher!)}${cause}. Publications now reach this ` +
        "instance's subscribers only, and those of other instances are not received here, until it is back; reconnecting.",
    );
  }

  private dropped(): void {
    this.counters.dropped++;
  }

  private droppedOversized(channel: string, size: number): void {
    this.counters.dropped++;
    this.oversized.report(
      (count) =>
        `Dropped ${count} publication(s) too large for Redis (latest on '${channel}': ${size} bytes, ` +
        `maxMessageBytes ${this.envelope.maxMessageBytes}): they reached this instance's subscribers only.`,
    );
  }

  /** Redis has not answered the publications before: this one is dropped, not queued. */
  private droppedBacklogged(): void {
    this.backlogged();
    this.counters.dropped++;
  }

  /** Logs, once per episode, that Redis does not answer what waits for it. */
  private backlogged(): void {
    if (!this.backlog) {
      this.backlog = {
        since: Date.now(),
        droppedBefore: this.counters.dropped,
        historyFailedBefore: this.counters.historyFailed,
      };
      this.logger.warn(
        `Redis at ${describeRedis(this.publisher!)} is not answering: ${this.window.pendingCommands} publication(s) ` +
          `(${this.window.pendingBytes} bytes, the maxPendingBytes bound) wait for it. Until it answers, further ` +
          "publications reach this instance's subscribers only.",
      );
    }
  }

  private settled(size: number, published: boolean): void {
    if (published) this.counters.published++;
    else this.counters.dropped++;
    this.released(size, published);
  }

  /** Redis answered a command that had room in the window (or it failed): the backlog may be over. */
  private released(size: number, answered: boolean): void {
    this.window.release(size);
    if (!this.backlog || this.window.pendingCommands > 0) return;
    if (!answered) {
      this.backlog = undefined; // the connection was lost: the outage is what gets logged
      return;
    }
    const seconds = ((Date.now() - this.backlog.since) / 1000).toFixed(1);
    const dropped = this.counters.dropped - this.backlog.droppedBefore;
    const historyFailed = this.counters.historyFailed - this.backlog.historyFailedBefore;
    this.backlog = undefined;
    this.logger.log(
      `Redis at ${describeRedis(this.publisher!)} answers again after ${seconds} s. ${dropped} publication(s) made ` +
        "here meanwhile reached this instance's subscribers only." +
        historyFailedDuringBacklog(historyFailed),
    );
  }

  /** What the history store uses of this broker. */
  private historyLink(): RedisHistoryLink {
    return {
      prefix: this.prefix,
      envelope: this.streamEnvelope,
      reserve: (size) => this.window.acquire(size),
      release: (size, answered) => this.released(size, answered),
      maxMessageBytes: this.envelope.maxMessageBytes,
      commandTimeoutMs: this.settings.commandTimeoutMs,
      pubSub: this.pubSub,
      appendFailed: (channel, failure, error) => this.historyAppendFailed(channel, failure, error),
      usedHistory: (channel) => {
        if (this.watched.has(channel)) this.historyChannels.add(channel);
      },
      incarnationKnown: () => this.flushResumed(),
    };
  }

  /**
   * A history publication failed. While Redis is down or hung, the outage (or backlog) line says it once, with
   * the count when it ends; an error reply while connected (a full Redis, a key of the wrong type) is logged
   * throttled, with Redis's message.
   */
  private historyAppendFailed(channel: string, failure: HistoryFailure, error?: unknown): void {
    if (failure === 'backlog') this.backlogged(); // first: the episode's counts start before this failure
    this.counters.historyFailed++;
    if (failure === 'backlog') return;
    if (failure === 'down' && (this.outage || !this.started || this.closed)) return;
    if (failure === 'timeout') {
      const timeoutMs = this.settings.commandTimeoutMs;
      return this.historyErrors.report((count) => historyAppendTimedOut(count, channel, timeoutMs));
    }
    const reason = error instanceof Error ? error.message : failure === 'down' ? 'not connected' : 'too large';
    this.historyErrors.report((count) => historyAppendError(count, channel, reason));
  }
}
