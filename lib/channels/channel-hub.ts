import { Inject, Injectable } from '@nestjs/common';
import type { SocketApiModuleOptions } from '../interfaces/socket-api-options.interface.js';
import { SOCKET_API_OPTIONS } from '../socket-api.module-definition.js';
import { Channel } from './channel.js';

/** Every `Channel` of the app by name, created on first use (injection or discovery). */
@Injectable()
export class ChannelHub {
  private readonly channels = new Map<string, Channel>();

  constructor(@Inject(SOCKET_API_OPTIONS) private readonly options: SocketApiModuleOptions) {}

  get<T>(name: string): Channel<T> {
    let channel = this.channels.get(name);
    if (!channel) {
      channel = new Channel(name, this.options.serialization);
      this.channels.set(name, channel);
    }
    return channel as Channel<T>;
  }

  all(): IterableIterator<Channel> {
    return this.channels.values();
  }
}
