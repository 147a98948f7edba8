import { Buffer } from 'node:buffer';
import type { ClassTransformOptions } from 'class-transformer';
import { Subject, type Observable } from 'rxjs';
import type { ChannelRoute, HistoryLimits, StreamPosition } from '../interfaces/channel-stream.interface.js';
import type { SocketApiBroker } from '../interfaces/socket-api-broker.interface.js';
import type { SocketChannelOptions } from '../interfaces/socket-channel-options.interface.js';
import { dataFrame } from '../protocol/server-messages.js';
import { toPlain } from '../protocol/to-plain.js';
import { NO_PARAMS } from './channel-pattern.js';
import type { ChannelPresence } from './channel-presence.js';
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
export type DeclaredChannelOptions = Pick<SocketChannelOptions, 'slowConsumer' | 'filter' | 'presence'> & {
  /** Resolved by the orchestrator (`resolveHistoryLimits`): the channel (each concrete channel) gets a stream. */
  history?: HistoryLimits;
  /**
   * With `outputValidation` on a declared `payload`: what a publication becomes on the wire (projected
   * to the payload type, once per publication); throws when it must not be sent. Absent: `toPlain`.
   */
  toWire?: (payload: unknown) => unknown;
};

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
  /** A concrete channel of a pattern: the pattern (`rooms/:roomId`), what metrics count it under. */
  pattern?: string;
  private declared = false;
  /** Drop data frames for subscribers that read too slowly, rather than closing them. */
  private dropsForSlowConsumers = false;
  private dropped = 0;
  /** The declaration's `toWire`, if any. */
  private toWire?: (payload: unknown) => unknown;

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

  /** Live subscribers, and those of a history channel still joining. */
  get memberCount(): number {
    return this.subscribers.size + (this.stream?.pendingCount ?? 0);
  }

  get droppedCount(): number {
    return this.dropped;
  }

  /** A `@SocketChannel(name)` method declares it: from then on it can be published to. */
  declare({ slowConsumer, filter, toWire }: DeclaredChannelOptions): void {
    this.declared = true;
    this.toWire = toWire;
    this.dropsForSlowConsumers = slowConsumer === 'drop';
    this.filter = filter && new FilteredDelivery(filter, this.route);
  }

  /** Whether a `@SocketChannel(name)` method declares it (publications from other instances go to declared ones only). */
  get isDeclared(): boolean {
    return this.declared;
  }

  // eslint-disable-next-line @typescript-eslint/no-misused-promises -- deliberate: a history channel's publication resolves once stored (see `HistoryChannel`), a plain one's returns nothing
  publish(payload: T): void | Promise<StreamPosition> {
    if (!this.declared) {
      throw new Error(`Channel '${this.name}' is not declared: no @SocketChannel('${this.name}') method was found.`);
    }
    const { toWire } = this;
    // Projected once per publication, before the store or the fan-out: what every subscriber gets.
    if (this.stream) return this.stream.publish(toWire ? toWire(payload) : payload);
    // Serialized here, in the caller's stack, so that a payload JSON cannot hold fails the caller.
    const plain = toWire ? toWire(payload) : toPlain(payload, this.serialization);
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

  /** Its history, when declared with `history`: publications are stored, and come back through it in offset order. */
  stream?: HistoryStream;

  /** A stored publication, its turn come (see `ChannelStream`): to every live subscriber, then to server-side observers. */
  deliverStored(frame: Buffer, data: string): void {
    // Parsed back only for a filter or observers: most history channels have neither.
    const parse = (this.filter || this.publications.observed || this.familyPublications?.observed) && data !== '';
    const payload = parse ? (JSON.parse(data) as T) : (undefined as T);
    this.deliver(frame, payload, payload);
  }

  /** Its presence, when the channel is declared with `presence`. */
  presence?: ChannelPresence;

  /** A presence frame (join/leave of `clientId`) to every subscriber but that one. */
  deliverExcept(frame: Buffer, clientId: string): void {
    for (const subscriber of this.subscribers) {
      if (subscriber.id === clientId) continue;
      if (this.dropsForSlowConsumers) subscriber.offerFrame(frame);
      else subscriber.sendFrame(frame);
    }
  }
}

/** A history channel's stream (`ChannelStream`), as its channel, `Subscriptions` and the hub use it. */
export interface HistoryStream {
  /** Subscribers parked while they join: members, not yet in `subscribers`. */
  readonly pendingCount: number;
  publish(payload: unknown): Promise<StreamPosition>;
  receive(data: string, position: StreamPosition): void;
  resume(): void;
  park(subscriber: ChannelSubscriber): void;
  join(
    subscriber: ChannelSubscriber,
    since: StreamPosition | undefined,
    onLive: (join: StreamJoin) => void,
  ): Promise<void>;
  drop(subscriber: ChannelSubscriber): boolean;
  idle(): void;
}

/** What a subscriber of a history channel gets when it goes live, right after its `subscribed`. */
export interface StreamJoin {
  /** Its position: the top read for it (what `subscribed` carries). */
  readonly top: StreamPosition;
  /** `undefined`: the subscribe did not ask to `recover`. */
  readonly recovered: boolean | undefined;
  /** The replayed publications, then those delivered while it joined, each with an offset above its position, in order. */
  readonly frames: readonly Buffer[];
  /** Per frame, the publication's stored text (for the channel's filter); undefined for a notice. */
  readonly data: readonly (string | undefined)[];
}
