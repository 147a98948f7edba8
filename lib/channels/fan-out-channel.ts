import { Logger } from '@nestjs/common';
import type { ClassTransformOptions } from 'class-transformer';
import { Subject, type Observable } from 'rxjs';
import type { StreamPosition } from '../interfaces/channel-stream.interface.js';
import type { SocketApiBroker } from '../interfaces/socket-api-broker.interface.js';
import type { SocketChannelOptions } from '../interfaces/socket-channel-options.interface.js';
import { describeException } from '../logging/describe-exception.js';
import { ErrorLogLimiter } from '../logging/error-log-limiter.js';
import { dataFrame } from '../protocol/server-messages.js';
import { toPlain } from '../protocol/to-plain.js';
import { DEFAULTS } from '../options/defaults.js';
import { Channel } from './channel.js';

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

/**
 * The channel of this process: serializes each publication once, in the publisher's stack, and
 * sends that one frame to each of its subscribers, then to server-side observers, then through the
 * broker to the other instances. Its subscriber set is written by `Subscriptions` only.
 */
export class FanOutChannel<T = unknown> extends Channel<T> {
  private static readonly logger = new Logger('SocketApiChannel');
  private static readonly errorLog = new ErrorLogLimiter(FanOutChannel.logger, DEFAULTS.errorLogIntervalMs);
  /** This process's subscribed connections: the fan-out loop's own set. */
  readonly subscribers = new Set<ChannelSubscriber>();
  private readonly publications = new Subject<T>();
  private declared = false;
  /** Drop data frames for subscribers that read too slowly, rather than closing them. */
  private dropsForSlowConsumers = false;
  private dropped = 0;

  constructor(
    readonly name: string,
    private readonly broker: SocketApiBroker,
    private readonly serialization?: ClassTransformOptions,
  ) {
    super();
  }

  get subscriberCount(): number {
    return this.subscribers.size;
  }

  get droppedCount(): number {
    return this.dropped;
  }

  /** A `@SocketChannel(name)` method declares it: from then on it can be published to. */
  declare({ slowConsumer }: Pick<SocketChannelOptions, 'slowConsumer'>): void {
    this.declared = true;
    this.dropsForSlowConsumers = slowConsumer === 'drop';
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
    if (this.stream) return this.stream.publish(payload);
    // Serialized here, in the caller's stack, so that a payload JSON cannot hold fails the caller.
    const frame = Buffer.from(dataFrame(this.name, toPlain(payload, this.serialization)));
    this.deliver(frame, payload);
    this.broker.publish(this.name, frame);
  }

  /** A publication made on another instance, already checked (see `readRemoteFrame`). */
  receive(frame: Buffer, payload: unknown): void {
    this.deliver(frame, payload as T);
  }

  next(payload: T): void {
    try {
      // A history channel's rejection is already counted and logged by its stream.
      void this.publish(payload);
    } catch (exception) {
      // Thrown, it would reach RxJS, which rethrows it outside any stack that could catch it and ends the process.
      FanOutChannel.errorLog.error(`A value piped into channel '${this.name}' was not published`, exception);
    }
  }

  error(err: unknown): void {
    FanOutChannel.logger.error(`Upstream error piped into channel '${this.name}'`, describeException(err));
  }

  complete(): void {
    // A channel outlives every stream piped into it.
  }

  asObservable(): Observable<T> {
    return this.publications.asObservable();
  }

  /** The fan-out: one frame, the same bytes for every subscriber (the hot path of a publication). */
  private deliver(frame: Buffer, payload: T): void {
    if (this.dropsForSlowConsumers) {
      for (const subscriber of this.subscribers) {
        if (!subscriber.offerFrame(frame)) this.dropped++;
      }
    } else {
      for (const subscriber of this.subscribers) subscriber.sendFrame(frame);
    }
    this.publications.next(payload);
  }

  /** Its history, when declared with `history`: publications are stored, and come back through it in offset order. */
  stream?: HistoryStream;

  /** A stored publication, its turn come (see `ChannelStream`): to every live subscriber, then to server-side observers. */
  deliverStored(frame: Buffer, data: string): void {
    // Parsed back only for observers: most history channels have none.
    const payload = this.publications.observed && data !== '' ? (JSON.parse(data) as T) : (undefined as T);
    this.deliver(frame, payload);
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
}
