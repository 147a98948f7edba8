import { Inject, Injectable, type BeforeApplicationShutdown, type OnApplicationBootstrap } from '@nestjs/common';
import type {
  ChannelRoute,
  PresenceEvent,
  PresenceMember,
  PresenceStore,
} from '../interfaces/channel-stream.interface.js';
import type { SocketApiBroker } from '../interfaces/socket-api-broker.interface.js';
import type { SocketChannelOptions } from '../interfaces/socket-channel-options.interface.js';
import { RESOLVED_SOCKET_API_OPTIONS, type ResolvedSocketApiOptions } from '../options/resolved-options.js';
import { presenceEventFrame } from '../protocol/server-messages.js';
import { SOCKET_API_BROKER } from '../socket-api.constants.js';
import { ChannelPresence } from './channel-presence.js';
import { FanOutChannel } from './fan-out-channel.js';
import { MemoryPresenceStore } from './memory-presence-store.js';
import { readRemoteFrame } from './remote-frame.js';

/**
 * Every channel of the app by name, created on first use (injection or declaration), and the
 * broker's link to them: publications made on other instances arrive here and go to their channel.
 */
@Injectable()
export class ChannelHub implements OnApplicationBootstrap, BeforeApplicationShutdown {
  private readonly channels = new Map<string, FanOutChannel>();
  /** Who is in the presence channels: the broker's shared store, else this process's. */
  readonly presenceStore: PresenceStore;

  constructor(
    @Inject(RESOLVED_SOCKET_API_OPTIONS) private readonly options: ResolvedSocketApiOptions,
    @Inject(SOCKET_API_BROKER) private readonly broker: SocketApiBroker,
  ) {
    this.presenceStore = broker.presence ?? new MemoryPresenceStore(this);
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
    options: Pick<SocketChannelOptions, 'slowConsumer' | 'presence'>,
  ): FanOutChannel<T> {
    const channel = this.get<T>(name);
    channel.declare(options);
    if (options.presence) channel.presence = this.presenceOf({ name, params: {} }, options.presence);
    return channel;
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
    await this.broker.connect((name, frame) => this.deliverRemote(name, frame));
  }

  /**
   * After the server's drain (a destroy hook), so that in-flight actions still publish; the presence
   * store first, so that the leaves of this instance's members go out while the broker still can.
   */
  async beforeApplicationShutdown(): Promise<void> {
    await this.presenceStore.close();
    await this.broker.close();
  }

  /** The presence of a live concrete channel of a declaration with `presence` (P1's `acquire` calls it too). */
  presenceOf(route: ChannelRoute, options: NonNullable<SocketChannelOptions['presence']>): ChannelPresence {
    return new ChannelPresence(route, options, this.presenceStore, this.options.serialization);
  }

  /**
   * A join or leave from the presence store (this process's, or another instance's through the
   * broker): to the channel's other subscribers here, when it announces them. A leave names the
   * member only.
   */
  presence(name: string, event: PresenceEvent, member: PresenceMember): void {
    const channel = this.find(name);
    if (!channel?.presence?.announces || channel.subscribers.size === 0) return;
    const shown = event === 'leave' ? { clientId: member.clientId } : member;
    channel.deliverExcept(Buffer.from(presenceEventFrame(event, name, shown)), member.clientId);
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
