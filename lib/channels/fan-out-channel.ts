import { Logger } from '@nestjs/common';
import type { ClassTransformOptions } from 'class-transformer';
import { Subject, type Observable } from 'rxjs';
import type { SocketApiBroker } from '../interfaces/socket-api-broker.interface.js';
import type { SocketChannelOptions } from '../interfaces/socket-channel-options.interface.js';
import { describeException } from '../logging/describe-exception.js';
import { ErrorLogLimiter } from '../logging/error-log-limiter.js';
import { dataFrame } from '../protocol/server-messages.js';
import { toPlain } from '../protocol/to-plain.js';
import { DEFAULTS } from '../options/defaults.js';
import { Channel } from './channel.js';
import type { ChannelPresence } from './channel-presence.js';

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

  publish(payload: T): void {
    if (!this.declared) {
      throw new Error(`Channel '${this.name}' is not declared: no @SocketChannel('${this.name}') method was found.`);
    }
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
      this.publish(payload);
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

  /** Its presence, when the channel is declared with `presence` (P4). */
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
