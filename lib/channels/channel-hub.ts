import { Buffer } from 'node:buffer';
import { Inject, Injectable, type BeforeApplicationShutdown, type OnApplicationBootstrap } from '@nestjs/common';
import type {
  ChannelRoute,
  HistoryStore,
  PresenceEvent,
  PresenceMember,
  PresenceStore,
  StreamPosition,
  StreamSink,
} from '../interfaces/channel-stream.interface.js';
import type { SocketApiBroker } from '../interfaces/socket-api-broker.interface.js';
import { RESOLVED_SOCKET_API_OPTIONS, type ResolvedSocketApiOptions } from '../options/resolved-options.js';
import { presenceEventFrame } from '../protocol/server-messages.js';
import { SOCKET_API_BROKER } from '../socket-api.constants.js';
import type { Channel } from './channel.js';
import { FanOutChannelFamily } from './channel-family.js';
import { ChannelPattern } from './channel-pattern.js';
import { ChannelPresence } from './channel-presence.js';
import { ChannelStream } from './channel-stream.js';
import { FanOutChannel, type DeclaredChannelOptions } from './fan-out-channel.js';
import { MemoryHistoryStore } from './memory-history-store.js';
import { MemoryPresenceStore } from './memory-presence-store.js';
import { readRemoteFrame } from './remote-frame.js';

/**
 * Every channel of the app by name, created on first use (injection or declaration), and the
 * broker's link to them: publications made on other instances arrive here and go to their channel.
 * A declared pattern (`rooms/:roomId`) is a family; its concrete channels (`rooms/42`) live here only
 * while they have members, so that a name nobody is subscribed to costs nothing.
 */
@Injectable()
export class ChannelHub implements OnApplicationBootstrap, BeforeApplicationShutdown, StreamSink {
  /** Channels of exact names: permanent. */
  private readonly channels = new Map<string, FanOutChannel>();
  private readonly families = new Map<string, FanOutChannelFamily>();
  /** Concrete channels of patterns that have members here, by concrete name. */
  readonly live = new Map<string, FanOutChannel>();
  private readonly findChannel = (name: string): FanOutChannel | undefined => this.find(name);
  /** Where history channels' publications are stored: the broker's shared store, else this process's memory. */
  private readonly history: HistoryStore;
  /** Who is in the presence channels: the broker's shared store, else this process's. */
  readonly presenceStore: PresenceStore;

  constructor(
    @Inject(RESOLVED_SOCKET_API_OPTIONS) private readonly options: ResolvedSocketApiOptions,
    @Inject(SOCKET_API_BROKER) private readonly broker: SocketApiBroker,
  ) {
    this.history = broker.history ?? new MemoryHistoryStore(this);
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

  /** The family of a declared pattern (`@InjectChannel('rooms/:roomId')`), made on first use as `get` makes a channel. */
  family<T>(pattern: string): FanOutChannelFamily<T> {
    let family = this.families.get(pattern);
    if (!family) {
      family = new FanOutChannelFamily(
        ChannelPattern.compile(pattern),
        this.findChannel,
        this.broker,
        this.history,
        this.options.serialization,
      );
      this.families.set(pattern, family);
    }
    return family as FanOutChannelFamily<T>;
  }

  /**
   * What a `@SocketChannel(name)` method declares, with its options: from then on it can be published
   * to. The channel of an exact name, the family of a pattern.
   */
  declare(pattern: ChannelPattern, options: DeclaredChannelOptions): FanOutChannel | FanOutChannelFamily {
    if (pattern.isPattern) {
      const family = this.family(pattern.source);
      family.declare(options);
      return family;
    }
    const channel = this.get(pattern.source);
    channel.declare(options);
    if (options.history) {
      channel.stream = new ChannelStream(channel, this.history, options.history, this.options.serialization);
    }
    if (options.presence) channel.presence = this.presenceOf(channel.route, options.presence);
    return channel;
  }

  /**
   * What server code publishes to `route` of the channel declared as `declaredName` through: the
   * channel itself, or a handle of the pattern's concrete channel (live here or not).
   */
  channelOf(declaredName: string, route: ChannelRoute): Channel {
    const family = this.families.get(declaredName);
    return family?.isDeclared ? family.to(route.params) : this.get(declaredName);
  }

  /** A publication stored (by this instance or another): to its channel's stream, if the channel is live here. */
  stored(name: string, data: string, position: StreamPosition): void {
    this.find(name)?.stream?.receive(data, position);
  }

  /** The store is reachable again and `name` listened to again: its stream checks what it missed. */
  resumed(name: string): void {
    this.find(name)?.stream?.resume();
  }

  /**
   * The channel of a concrete `route` of the channel declared as `declaredName`, for its first member:
   * the declared channel itself for an exact name (permanent), else the live concrete channel, made
   * now if it has none yet; `Subscriptions` releases it when its last member leaves.
   */
  acquire(declaredName: string, route: ChannelRoute): FanOutChannel {
    const family = this.families.get(declaredName);
    if (!family?.isDeclared) return this.get(declaredName);
    let channel = this.live.get(route.name);
    if (!channel) {
      channel = family.open(route);
      const { history, presence } = family;
      if (history) channel.stream = new ChannelStream(channel, this.history, history, this.options.serialization);
      if (presence) channel.presence = this.presenceOf(route, presence);
      this.live.set(route.name, channel);
    }
    return channel;
  }

  /**
   * The members here of each declared channel, a pattern's concrete channels counted under the
   * pattern: a bounded set of names (metrics read it when scraped, O(live channels)).
   */
  membersByDeclaration(): Map<string, number> {
    const members = new Map<string, number>();
    for (const [pattern, family] of this.families) if (family.isDeclared) members.set(pattern, 0);
    for (const [name, channel] of this.channels) if (channel.isDeclared) members.set(name, channel.memberCount);
    for (const channel of this.live.values()) {
      if (channel.pattern !== undefined)
        members.set(channel.pattern, (members.get(channel.pattern) ?? 0) + channel.memberCount);
    }
    return members;
  }

  /** A channel with no member left: a concrete channel of a pattern is forgotten; a declared name stays. */
  release(channel: FanOutChannel): void {
    if (this.live.get(channel.name) === channel) this.live.delete(channel.name);
  }

  /** The declared (or live concrete) channel of `name`, if there is one: what an `unsubscribe` leaves. */
  find(name: string): FanOutChannel | undefined {
    const channel = this.channels.get(name);
    return channel?.isDeclared ? channel : this.live.get(name);
  }

  async onApplicationBootstrap(): Promise<void> {
    await this.broker.connect((name, frame) => this.deliverRemote(name, frame), this);
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
  presenceOf(route: ChannelRoute, options: NonNullable<DeclaredChannelOptions['presence']>): ChannelPresence {
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
    const channel = this.find(name);
    // A publication without an offset cannot go to a history channel's subscribers: they would see a gap.
    if (channel?.stream) return false;
    channel?.receive(publication.frame, publication.payload);
    return true;
  }
}
