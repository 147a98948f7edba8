import type { ClassTransformOptions } from 'class-transformer';
import { Subject, type Observable } from 'rxjs';
import type { ChannelRoute } from '../interfaces/channel-stream.interface.js';
import type { SocketApiBroker } from '../interfaces/socket-api-broker.interface.js';
import type { SocketChannelOptions } from '../interfaces/socket-channel-options.interface.js';
import { dataFrame } from '../protocol/server-messages.js';
import { toPlain } from '../protocol/to-plain.js';
import { NO_PARAMS } from './channel-pattern.js';
import { FilteredDelivery } from './filtered-delivery.js';
import { ServerChannel } from './server-channel.js';

/** A publication as the observers of a whole family of channels see it (`rooms/:roomId`). */
export interface FamilyPublication {
  readonly channel: string;
  readonly payload: unknown;
}

/** A subscriber of a channel: a connection, as the channel and `Subscriptions` see it. */
export interface ChannelSubscriber {
  /** The connection's id: a presence member's `clientId`, and who a join/leave frame is not sent to. */
  readonly id: string;
  /** Sends a serialized frame; a subscriber past its send buffer limit is closed (1013). */
  sendFrame(frame: Buffer): void;
  /** Sends unless the subscriber is behind; false when the frame was dropped. */
  offerFrame(frame: Buffer): boolean;
  /**
   * The channels it is in, each with the `data` of the subscribe message that admitted it (which its
   * guards see again after a renewal). Written by `Subscriptions` only, with the channel's side.
   */
  subscribed?: Map<FanOutChannel, unknown>;
}

/** What a declaration sets on its channel (and on each concrete channel of a pattern). */
export type DeclaredChannelOptions = Pick<SocketChannelOptions, 'slowConsumer' | 'filter'>;

/**
 * The channel of this process: serializes each publication once, in the publisher's stack, and
 * sends that one frame to each of its subscribers, then to server-side observers, then through the
 * broker to the other instances. Its subscriber set is written by `Subscriptions` only.
 */
export class FanOutChannel<T = unknown> extends ServerChannel<T> {
  /** This process's subscribed connections: the fan-out loop's own set. */
  readonly subscribers = new Set<ChannelSubscriber>();
  private readonly publications = new Subject<T>();
  /** The concrete channel: its name and, for a channel of a pattern, its parameters. */
  readonly route: ChannelRoute;
  /** With a `filter` option: the filter and what it knows of each subscriber (written by `Subscriptions`). */
  filter?: FilteredDelivery;
  /** A concrete channel of a pattern: its family's observers see its publications too. */
  familyPublications?: Subject<FamilyPublication>;
  private declared = false;
  /** Drop data frames for subscribers that read too slowly, rather than closing them. */
  private dropsForSlowConsumers = false;
  private dropped = 0;

  constructor(
    readonly name: string,
    private readonly broker: SocketApiBroker,
    private readonly serialization?: ClassTransformOptions,
    params: ChannelRoute['params'] = NO_PARAMS,
  ) {
    super();
    this.route = { name, params };
  }

  get subscriberCount(): number {
    return this.subscribers.size;
  }

  get droppedCount(): number {
    return this.dropped;
  }

  /** A `@SocketChannel(name)` method declares it: from then on it can be published to. */
  declare({ slowConsumer, filter }: DeclaredChannelOptions): void {
    this.declared = true;
    this.dropsForSlowConsumers = slowConsumer === 'drop';
    this.filter = filter && new FilteredDelivery(filter, this.route);
  }

  /** Whether a `@SocketChannel(name)` method declares it (publications from other instances go to declared ones only). */
  get isDeclared(): boolean {
    return this.declared;
  }

  publish(payload: T): void {
    if (!this.declared) {
      throw new Error(`Channel '${this.name}' is not declared: no @SocketChannel('${this.name}') method was found.`);
    }
    // Serialized here, in the caller's stack, so that a payload JSON cannot hold fails the caller.
    const plain = toPlain(payload, this.serialization);
    const frame = Buffer.from(dataFrame(this.name, plain));
    this.deliver(frame, plain, payload);
    this.broker.publish(this.name, frame);
  }

  /** A publication made on another instance, already checked (see `readRemoteFrame`). */
  receive(frame: Buffer, payload: unknown): void {
    this.deliver(frame, payload, payload as T);
  }

  asObservable(): Observable<T> {
    return this.publications.asObservable();
  }

  /**
   * The fan-out: one frame, the same bytes for every subscriber (the hot path of a publication); with a
   * filter, to the subscribers it admits given `plain`, the payload as JSON carries it.
   */
  private deliver(frame: Buffer, plain: unknown, payload: T): void {
    const { filter } = this;
    if (filter) {
      for (const subscriber of this.subscribers) {
        if (!filter.admits(subscriber, plain)) continue;
        if (!this.dropsForSlowConsumers) subscriber.sendFrame(frame);
        else if (!subscriber.offerFrame(frame)) this.dropped++;
      }
    } else if (this.dropsForSlowConsumers) {
      for (const subscriber of this.subscribers) {
        if (!subscriber.offerFrame(frame)) this.dropped++;
      }
    } else {
      for (const subscriber of this.subscribers) subscriber.sendFrame(frame);
    }
    this.publications.next(payload);
    if (this.familyPublications?.observed) this.familyPublications.next({ channel: this.name, payload });
  }
}
