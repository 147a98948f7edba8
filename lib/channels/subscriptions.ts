import { Inject, Injectable } from '@nestjs/common';
import type { SocketApiBroker } from '../interfaces/socket-api-broker.interface.js';
import { SOCKET_API_BROKER } from '../socket-api.constants.js';
import { ChannelHub } from './channel-hub.js';
import type { ChannelSubscriber, FanOutChannel, HistoryStream } from './fan-out-channel.js';

const NO_CHANNELS: ReadonlyMap<FanOutChannel, unknown> = new Map();

/**
 * The one owner of the subscriber ↔ channel relation: each change writes both sides (the
 * subscriber's channels and the channel's subscribers) in one method, and tells the broker when a
 * channel's subscriber set goes from empty to not and back, so that it listens accordingly (and the
 * hub, so that a concrete channel nobody is in is forgotten).
 */
@Injectable()
export class Subscriptions {
  constructor(
    @Inject(SOCKET_API_BROKER) private readonly broker: SocketApiBroker,
    private readonly hub: ChannelHub,
  ) {}

  /** The channels `subscriber` is in, each with the `data` of the subscribe message that admitted it. */
  of(subscriber: ChannelSubscriber): ReadonlyMap<FanOutChannel, unknown> {
    return subscriber.subscribed ?? NO_CHANNELS;
  }

  /**
   * Adds `subscriber` to `channel`, or updates the `data` kept for it when it is already in (what the
   * guards see again after a renewal, and the channel's filter with each publication).
   */
  subscribe(subscriber: ChannelSubscriber, channel: FanOutChannel, data: unknown): void {
    (subscriber.subscribed ??= new Map()).set(channel, data);
    channel.filter?.add(subscriber, data);
    const { subscribers } = channel;
    const before = channel.memberCount;
    subscribers.add(subscriber);
    if (before === 0) this.broker.watch(channel.name);
  }

  /**
   * A history channel's subscriber while its stream joins (its position is read from the store): a
   * member (the broker listens, `maySubscribe` counts it, leaving drops it) that buffers publications,
   * not yet in `channel.subscribers`. A subscriber already in starts over: its frames now come through the join.
   */
  reserve(subscriber: ChannelSubscriber, channel: FanOutChannel, stream: HistoryStream, data: unknown): void {
    (subscriber.subscribed ??= new Map()).set(channel, data);
    const before = channel.memberCount;
    channel.subscribers.delete(subscriber);
    stream.park(subscriber);
    if (before === 0) this.broker.watch(channel.name);
  }

  /** A channel acquired for a subscriber that never got in (it left, or failed): forgotten if nobody else is in it. */
  releaseIfUnused(channel: FanOutChannel): void {
    if (channel.memberCount === 0) this.hub.release(channel);
  }

  /** Takes `subscriber` out of `channel`; false when it was not in. */
  unsubscribe(subscriber: ChannelSubscriber, channel: FanOutChannel): boolean {
    const wasIn = subscriber.subscribed?.delete(channel) ?? false;
    this.leave(channel, subscriber);
    return wasIn;
  }

  /** Takes `subscriber` out of every channel it is in: it is gone. */
  unsubscribeAll(subscriber: ChannelSubscriber): void {
    const channels = subscriber.subscribed;
    if (!channels) return;
    subscriber.subscribed = undefined;
    for (const channel of channels.keys()) this.leave(channel, subscriber);
  }

  private leave(channel: FanOutChannel, subscriber: ChannelSubscriber): void {
    channel.filter?.remove(subscriber);
    const wasLive = channel.subscribers.delete(subscriber);
    const wasJoining = channel.stream?.drop(subscriber) ?? false;
    if (!wasLive && !wasJoining) return;
    channel.presence?.leave(subscriber);
    if (channel.memberCount === 0) {
      channel.stream?.idle();
      this.broker.unwatch(channel.name);
      this.hub.release(channel);
    }
  }
}
