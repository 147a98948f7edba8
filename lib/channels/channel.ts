import { Logger } from '@nestjs/common';
import type { ClassTransformOptions } from 'class-transformer';
import { map, Subject, type Observable, type Observer } from 'rxjs';
import { describeException } from '../logging/describe-exception.js';
import { ErrorLogLimiter } from '../logging/error-log-limiter.js';
import { dataFrame } from '../protocol/server-messages.js';
import { toPlain } from '../protocol/to-plain.js';
import { DEFAULTS } from '../options/defaults.js';

/** What goes through a channel: the payload for server-side observers, the frame for sockets. */
export interface Publication<T> {
  readonly payload: T;
  readonly frame: Buffer;
}

/** Hears a channel's subscriber set go from empty to not, and back: the broker listens accordingly. */
export interface SubscriptionWatcher {
  watch(channel: string): void;
  unwatch(channel: string): void;
  publish(channel: string, frame: Buffer): void;
}

/** A subscriber of a channel: anything that can take a serialized `data` frame. */
export interface ChannelSubscriber {
  sendFrame(frame: Buffer): void;
  /** Sends unless the subscriber is behind; false when the frame was dropped. */
  offerFrame(frame: Buffer): boolean;
}

/**
 * A pub/sub channel. `publish`/`next` serialize the payload once and push it through an RxJS
 * subject that the gateway pipes to every subscribed socket; `asObservable()` lets server code
 * watch the same publications. Usable wherever an RxJS `Observer` is expected.
 */
export class Channel<T = unknown> implements Observer<T> {
  private static readonly logger = new Logger('SocketApiChannel');
  private static readonly errorLog = new ErrorLogLimiter(Channel.logger, DEFAULTS.errorLogIntervalMs);
  private readonly publications = new Subject<Publication<T>>();
  /** @internal Read-only outside the channel: use `addSubscriber`/`removeSubscriber`. */
  readonly subscribers: ReadonlySet<ChannelSubscriber> = new Set<ChannelSubscriber>();
  /** @internal */
  declared = false;
  /** @internal Drop data frames for subscribers that read too slowly, rather than closing them. */
  dropsForSlowConsumers = false;
  private dropped = 0;

  constructor(
    readonly name: string,
    private readonly broker: SubscriptionWatcher,
    private readonly serialization?: ClassTransformOptions,
  ) {}

  /** Subscribed connections of this process. */
  get subscriberCount(): number {
    return this.subscribers.size;
  }

  /** Data frames not sent to subscribers that read too slowly (`slowConsumer: 'drop'`). */
  get droppedCount(): number {
    return this.dropped;
  }

  /** @internal */
  countDropped(): void {
    this.dropped++;
  }

  /**
   * Sends `payload` to every subscriber as `{"type":"data","channel":name,"data":payload}`. Throws,
   * publishing nothing, when JSON cannot carry the payload as it is (see `toPlain`).
   */
  publish(payload: T): void {
    if (!this.declared) {
      throw new Error(`Channel '${this.name}' is not declared: no @SocketChannel('${this.name}') method was found.`);
    }
    // Serialized here, in the caller's stack, so that a payload JSON cannot hold fails the caller.
    const frame = Buffer.from(dataFrame(this.name, toPlain(payload, this.serialization)));
    this.publications.next({ payload, frame });
    this.broker.publish(this.name, frame);
  }

  /** @internal A publication made on another instance, already checked (see `readRemoteFrame`). */
  receive(frame: Buffer, payload: unknown): void {
    this.publications.next({ payload: payload as T, frame });
  }

  /** @internal */
  addSubscriber(subscriber: ChannelSubscriber): void {
    const subscribers = this.subscribers as Set<ChannelSubscriber>;
    const before = subscribers.size;
    subscribers.add(subscriber);
    if (before === 0) this.broker.watch(this.name);
  }

  /** @internal */
  removeSubscriber(subscriber: ChannelSubscriber): void {
    const subscribers = this.subscribers as Set<ChannelSubscriber>;
    if (subscribers.delete(subscriber) && subscribers.size === 0) this.broker.unwatch(this.name);
  }

  /**
   * `publish` for a stream piped into the channel (`source.subscribe(channel)`): a payload that
   * cannot be published is logged and skipped. Thrown, it would reach RxJS, which rethrows it
   * outside any stack that could catch it and ends the process.
   */
  next(payload: T): void {
    try {
      this.publish(payload);
    } catch (exception) {
      Channel.errorLog.error(`A value piped into channel '${this.name}' was not published`, exception);
    }
  }

  /** An upstream error does not end a channel: it is logged and the channel stays open. */
  error(err: unknown): void {
    Channel.logger.error(`Upstream error piped into channel '${this.name}'`, describeException(err));
  }

  complete(): void {
    // A channel outlives every stream piped into it.
  }

  asObservable(): Observable<T> {
    return this.publications.pipe(map((publication) => publication.payload));
  }

  /** @internal */
  get frames(): Observable<Publication<T>> {
    return this.publications.asObservable();
  }
}
