import { Inject, Injectable, type BeforeApplicationShutdown, type OnApplicationBootstrap } from '@nestjs/common';
import type {
  ChannelRoute,
  HistoryLimits,
  HistoryStore,
  StreamPosition,
  StreamSink,
} from '../interfaces/channel-stream.interface.js';
import type { SocketApiBroker } from '../interfaces/socket-api-broker.interface.js';
import type { SocketChannelOptions } from '../interfaces/socket-channel-options.interface.js';
import { RESOLVED_SOCKET_API_OPTIONS, type ResolvedSocketApiOptions } from '../options/resolved-options.js';
import { SOCKET_API_BROKER } from '../socket-api.constants.js';
import { ChannelStream } from './channel-stream.js';
import { FanOutChannel } from './fan-out-channel.js';
import { MemoryHistoryStore } from './memory-history-store.js';
import { readRemoteFrame } from './remote-frame.js';

/**
 * Every channel of the app by name, created on first use (injection or declaration), and the
 * broker's link to them: publications made on other instances arrive here and go to their channel.
 */
@Injectable()
export class ChannelHub implements OnApplicationBootstrap, BeforeApplicationShutdown, StreamSink {
  private readonly channels = new Map<string, FanOutChannel>();
  /** Where history channels' publications are stored: the broker's shared store, else this process's memory. */
  private readonly history: HistoryStore;

  constructor(
    @Inject(RESOLVED_SOCKET_API_OPTIONS) private readonly options: ResolvedSocketApiOptions,
    @Inject(SOCKET_API_BROKER) private readonly broker: SocketApiBroker,
  ) {
    this.history = broker.history ?? new MemoryHistoryStore(this);
  }

  get<T>(name: string): FanOutChannel<T> {
    let channel = this.channels.get(name);
    if (!channel) {
      channel = new FanOutChannel(name, this.broker, this.options.serialization);
      this.channels.set(name, channel);
    }
    return channel as FanOutChannel<T>;
  }

  /** The channel a `@SocketChannel(name)` method declares, with its options: from then on it can be published to. */
  declare<T = unknown>(
    name: string,
    options: Pick<SocketChannelOptions, 'slowConsumer'> & { history?: HistoryLimits },
  ): FanOutChannel<T> {
    const channel = this.get<T>(name);
    channel.declare(options);
    if (options.history) {
      channel.stream = new ChannelStream(channel, this.history, options.history, this.options.serialization);
    }
    return channel;
  }

  /** A publication stored (by this instance or another): to its channel's stream, if the channel is live here. */
  stored(name: string, data: string, position: StreamPosition): void {
    this.channels.get(name)?.stream?.receive(data, position);
  }

  /** The store is reachable again and `name` listened to again: its stream checks what it missed. */
  resumed(name: string): void {
    this.channels.get(name)?.stream?.resume();
  }

  presence(): void {
    // No channel has presence yet: its join and leave events will be delivered here (issue 12, presence).
  }

  /**
   * The live channel of a concrete route of the channel declared as `declaredName`, for its first
   * (pending or live) member; `Subscriptions` releases it when its last member leaves. A channel
   * without parameters is permanent: the declared one itself.
   */
  acquire(declaredName: string, _route: ChannelRoute): FanOutChannel {
    // Exact names only so far: the route is the declared channel itself.
    return this.get(declaredName);
  }

  /** A channel with no member left: a concrete channel of a pattern is forgotten; a declared name stays. */
  release(_channel: FanOutChannel): void {
    // Exact names only so far: nothing to forget.
  }

  /** The declared (or live concrete) channel of `name`, if there is one: what an `unsubscribe` leaves. */
  find(name: string): FanOutChannel | undefined {
    const channel = this.channels.get(name);
    return channel?.isDeclared ? channel : undefined;
  }

  async onApplicationBootstrap(): Promise<void> {
    await this.broker.connect((name, frame) => this.deliverRemote(name, frame), this);
  }

  /** After the server's drain (a destroy hook), so that in-flight actions still publish. */
  async beforeApplicationShutdown(): Promise<void> {
    await this.broker.close();
  }

  /**
   * A publication from another instance: false when it is not a valid `data` frame of that channel
   * (it goes nowhere). One for a channel this app does not declare is ignored.
   */
  private deliverRemote(name: string, frame: Buffer): boolean {
    const publication = readRemoteFrame(name, frame);
    if (!publication) return false;
    const channel = this.channels.get(name);
    if (channel?.isDeclared) channel.receive(publication.frame, publication.payload);
    return true;
  }
}
