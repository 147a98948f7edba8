import type { Observable, Observer } from 'rxjs';

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
