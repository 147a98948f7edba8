import { Inject, Injectable } from '@nestjs/common';
import type { SocketApiBroker } from '../broker/socket-api-broker.interface.js';
import { SOCKET_API_BROKER } from '../socket-api.constants.js';
import type { SocketChannelOptions } from '../interfaces/socket-channel-options.interface.js';
import { RESOLVED_SOCKET_API_OPTIONS, type ResolvedSocketApiOptions } from '../options/resolved-options.js';
import { Channel } from './channel.js';
import { readRemoteFrame } from './remote-frame.js';

/** Every `Channel` of the app by name, created on first use (injection or discovery). */
@Injectable()
export class ChannelHub {
  private readonly channels = new Map<string, Channel>();

  constructor(
    @Inject(RESOLVED_SOCKET_API_OPTIONS) private readonly options: ResolvedSocketApiOptions,
    @Inject(SOCKET_API_BROKER) private readonly broker: SocketApiBroker,
  ) {}

  get<T>(name: string): Channel<T> {
    let channel = this.channels.get(name);
    if (!channel) {
      channel = new Channel(name, this.broker, this.options.serialization);
      this.channels.set(name, channel);
    }
    return channel as Channel<T>;
  }

  /**
   * The channel of a `@SocketChannel` method, with its options: from now on it may publish, and
   * publications from other instances reach its subscribers.
   */
  declare<T>(name: string, options: Pick<SocketChannelOptions, 'slowConsumer'>): Channel<T> {
    const channel = this.get<T>(name);
    channel.declared = true;
    channel.dropsForSlowConsumers = options.slowConsumer === 'drop';
    return channel;
  }

  /**
   * A publication from another instance: false when it is not a valid `data` frame of that channel
   * (it goes nowhere). One for a channel this app does not declare is ignored.
   */
  deliverRemote(name: string, frame: Buffer): boolean {
    const publication = readRemoteFrame(name, frame);
    if (!publication) return false;
    const channel = this.channels.get(name);
    if (channel?.declared) channel.receive(publication.frame, publication.payload);
    return true;
  }

  all(): IterableIterator<Channel> {
    return this.channels.values();
  }
}
