import type { Observable, Observer } from 'rxjs';
import type { StreamPosition } from '../interfaces/channel-stream.interface.js';

/**
 * A pub/sub channel, as the app sees it (`@InjectChannel(name)`). `publish`/`next` serialize the
 * payload once and send it to every subscribed socket; `asObservable()` lets server code watch the
 * same publications. Usable wherever an RxJS `Observer` is expected (`source.subscribe(channel)`).
 *
 * An abstract class rather than an interface, so that it can be a constructor parameter's type
 * under `emitDecoratorMetadata` with `isolatedModules`; the library's implementation extends it and
 * is not part of the package's API.
 */
export abstract class Channel<T = unknown> implements Observer<T> {
  /** The name clients subscribe to. */
  abstract readonly name: string;

  /** Subscribed connections of this process. */
  abstract get subscriberCount(): number;

  /** Data frames not sent to subscribers that read too slowly (`slowConsumer: 'drop'`). */
  abstract get droppedCount(): number;

  /**
   * Sends `payload` to every subscriber as `{"type":"data","channel":name,"data":payload}`. Throws,
   * publishing nothing, when JSON cannot carry the payload as it is (see `toPlain`), or when no
   * `@SocketChannel(name)` method declares the channel.
   */
  abstract publish(payload: T): void;

  /**
   * `publish` for a stream piped into the channel (`source.subscribe(channel)`): a payload that
   * cannot be published is logged and skipped, never thrown into RxJS.
   */
  abstract next(payload: T): void;

  /** An upstream error does not end a channel: it is logged and the channel stays open. */
  abstract error(err: unknown): void;

  /** A channel outlives every stream piped into it: completing one does nothing. */
  abstract complete(): void;

  /** The payloads published on this channel, here or (with a broker) on other instances. */
  abstract asObservable(): Observable<T>;
}

/**
 * A channel declared with `history` (`@InjectChannel(name) channel: HistoryChannel<T>`): each
 * publication gets its offset from the history store, so publishing is asynchronous.
 */
export abstract class HistoryChannel<T = unknown> extends Channel<T> {
  /**
   * Resolves once the publication is stored, with its position (local subscribers have it by then on
   * one instance); rejects with `HistoryUnavailableError` when the store cannot be reached, publishing
   * nothing. Throws, as `Channel.publish`, when JSON cannot carry the payload.
   */
  // eslint-disable-next-line @typescript-eslint/no-misused-promises -- deliberate: code holding it as a plain `Channel` may ignore the Promise (a rejection is counted and logged by the channel), code typed `HistoryChannel` awaits it
  abstract override publish(payload: T): Promise<StreamPosition>;
}

/**
 * A channel declared with parameters (`@InjectChannel('rooms/:roomId') rooms: ChannelFamily<Msg, { roomId: string }>`):
 * publishes to one concrete channel at a time.
 */
export abstract class ChannelFamily<T = unknown, P extends Record<string, string> = Record<string, string>> {
  /** The declared name, with its `:params`. */
  abstract readonly pattern: string;

  /**
   * A handle on one concrete channel: stateless, not kept (a `HistoryChannel<T>` when the declaration
   * has `history`). Throws on a missing or empty parameter, or one holding a `/`.
   */
  abstract to(params: P): Channel<T>;

  /** The concrete name of `params` (`{ roomId: '42' }` → `rooms/42`); throws as `to` does. */
  abstract name(params: P): string;
}

/**
 * A pattern declared with `history` (`@InjectChannel('rooms/:roomId') rooms: HistoryChannelFamily<Msg, { roomId: string }>`):
 * its handles are `HistoryChannel`s, whose `publish` resolves once the publication is stored. The same object
 * as a `ChannelFamily`, typed for it.
 */
export abstract class HistoryChannelFamily<
  T = unknown,
  P extends Record<string, string> = Record<string, string>,
> extends ChannelFamily<T, P> {
  abstract override to(params: P): HistoryChannel<T>;
}
