import { Injectable, type BeforeApplicationShutdown, type OnApplicationBootstrap } from '@nestjs/common';
import type { Subscription } from 'rxjs';
import { SocketApiRegistry } from '../registry/socket-api.registry.js';
import type { Channel, Publication } from './channel.js';

/**
 * Pipes every channel's publications to its subscribed sockets: one RxJS subscription per channel
 * (not per connection), and each publication already serialized, once.
 */
@Injectable()
export class ChannelDelivery implements OnApplicationBootstrap, BeforeApplicationShutdown {
  private readonly deliveries: Subscription[] = [];

  constructor(private readonly registry: SocketApiRegistry) {}

  onApplicationBootstrap(): void {
    for (const { channel } of this.registry.channels.values()) {
      this.deliveries.push(channel.frames.subscribe(deliverTo(channel)));
    }
  }

  /** After the gateway's drain (a destroy hook), so that in-flight actions still publish. */
  beforeApplicationShutdown(): void {
    for (const delivery of this.deliveries.splice(0)) delivery.unsubscribe();
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
