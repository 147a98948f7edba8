import { Inject, Injectable, type BeforeApplicationShutdown, type OnApplicationBootstrap } from '@nestjs/common';
import type { Subscription } from 'rxjs';
import type { SocketApiBroker } from '../broker/socket-api-broker.interface.js';
import { SocketApiRegistry } from '../registry/socket-api.registry.js';
import { SOCKET_API_BROKER } from '../socket-api.constants.js';
import { ChannelHub } from './channel-hub.js';
import type { Channel, Publication } from './channel.js';

/**
 * Pipes every channel's publications, made here or on other instances (through the broker), to
 * its subscribed sockets: one RxJS subscription per channel (not per connection), and each
 * publication already serialized, once.
 */
@Injectable()
export class ChannelDelivery implements OnApplicationBootstrap, BeforeApplicationShutdown {
  private readonly deliveries: Subscription[] = [];

  constructor(
    private readonly registry: SocketApiRegistry,
    private readonly hub: ChannelHub,
    @Inject(SOCKET_API_BROKER) private readonly broker: SocketApiBroker,
  ) {}

  async onApplicationBootstrap(): Promise<void> {
    for (const { channel } of this.registry.channels.values()) {
      this.deliveries.push(channel.frames.subscribe(deliverTo(channel)));
    }
    await this.broker.connect((name, frame) => this.hub.deliverRemote(name, frame));
  }

  /** After the gateway's drain (a destroy hook), so that in-flight actions still publish. */
  async beforeApplicationShutdown(): Promise<void> {
    for (const delivery of this.deliveries.splice(0)) delivery.unsubscribe();
    await this.broker.close();
  }
}

function deliverTo(channel: Channel): (publication: Publication<unknown>) => void {
  const { subscribers } = channel;
  if (!channel.dropsForSlowConsumers) {
    return ({ frame }) => {
      for (const subscriber of subscribers) subscriber.sendFrame(frame);
    };
  }
  return ({ frame }) => {
    for (const subscriber of subscribers) {
      if (!subscriber.offerFrame(frame)) channel.countDropped();
    }
  };
}
