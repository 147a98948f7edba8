import { Observable, Subject, type Subscriber } from 'rxjs';
import type { Backoff } from './backoff.js';
import { ClientErrorCode } from './client-error-codes.js';
import { ClientMessage } from './client.messages.js';
import type { ClientFrame, FrameLink, MessageId, ServerFrame, StreamPosition } from './frames.js';
import { startTimer, stopTimer, type TimerHandle } from './platform.js';
import { offsetOfFrame, positionOfFrame, type RecoveryEvent } from './recovery.js';
import { SocketApiError } from './socket-api-error.js';

/** The server's code for a store it cannot reach (a history channel's top could not be read): retried. */
const UNAVAILABLE = 'UNAVAILABLE';

type SubscribeFrame = Extract<ClientFrame, { type: 'subscribe' }>;

/** A subscription's `data`: a value, or a function evaluated at each (re)subscribe so that it is never stale. */
export type SubscribeData = unknown;

/** One server subscription, shared by every observer of its channel. */
interface SharedSubscription {
  readonly channel: string;
  readonly data: SubscribeData;
  readonly observers: Set<Subscriber<unknown>>;
  /** The id of the `subscribe` waiting for its answer, if one is. */
  pendingId?: MessageId;
  /**
   * History channels: the last offset received and its epoch, kept across connections and sent as
   * `recover` by the next subscribe, so that the server replays what was missed.
   */
  position?: StreamPosition;
  /** Whether the pending subscribe asked to recover (its answer is then reported on `recovery$`). */
  recovering?: boolean;
  /** A subscribe the server could not serve for now (`UNAVAILABLE`), tried again after a backoff. */
  retry?: { readonly backoff: Backoff; timer?: TimerHandle };
}

/** What the subscriptions need from the client: the connection, and the backoff of a subscribe's retries. */
export interface SubscriptionLink extends FrameLink {
  /** A fresh backoff for the retries of one subscription (the client's reconnect delays). */
  backoff(): Backoff;
}

/**
 * The channels the client is subscribed to, each held once on the server whatever the number of
 * observers, and subscribed again (data evaluated anew) on every new connection.
 */
export class ChannelSubscriptions {
  private readonly byChannel = new Map<string, SharedSubscription>();
  private readonly byPendingId = new Map<MessageId, SharedSubscription>();
  /**
   * The channel of each `unsubscribe` not answered yet. Data frames name a channel, not a
   * subscription: until the server's answer, those of the channel are the left subscription's
   * (the server answers in order), not of one made again since, maybe with other data.
   */
  private readonly unsubscribing = new Map<MessageId, string>();
  /** Set once the client stopped: later observers are told at once. */
  private stopped: { error: SocketApiError | undefined } | undefined;
  private readonly recoveries = new Subject<RecoveryEvent>();
  /** Each answer to a `recover`, and each time the server says a live stream broke (or resumed). */
  readonly recovery$: Observable<RecoveryEvent> = this.recoveries.asObservable();

  constructor(private readonly link: SubscriptionLink) {}

  observe<T>(channel: string, data: SubscribeData): Observable<T> {
    return new Observable<T>((subscriber) => {
      const observer = subscriber as Subscriber<unknown>;
      if (this.stopped !== undefined) {
        const { error } = this.stopped;
        subscriber.error(error ?? new SocketApiError(ClientErrorCode.CLOSED, ClientMessage.closed));
        return undefined;
      }
      const shared = this.byChannel.get(channel);
      if (shared !== undefined && !sameData(shared.data, data)) {
        subscriber.error(
          new SocketApiError(ClientErrorCode.SUBSCRIPTION_CONFLICT, ClientMessage.subscriptionConflict(channel)),
        );
        return undefined;
      }
      const joined = shared ?? { channel, data, observers: new Set() };
      joined.observers.add(observer);
      if (shared === undefined) {
        this.byChannel.set(channel, joined);
        // After the observer joined: a subscription that fails at once (its data) tells it.
        this.subscribe(joined);
      }
      return () => this.leave(joined, observer);
    });
  }

  /** A new connection opened: every channel is subscribed again. */
  resubscribeAll(): void {
    for (const shared of this.byChannel.values()) this.subscribe(shared);
  }

  /** The connection dropped: answers still awaited will never come (a retry waits for the next one). */
  connectionLost(): void {
    this.byPendingId.clear();
    this.unsubscribing.clear();
    for (const shared of this.byChannel.values()) {
      shared.pendingId = undefined;
      stopRetry(shared);
    }
  }

  /**
   * A `subscribed` frame: the answer to a subscribe of ours (with its `id`), or, without one, the
   * server telling a live subscriber of a history channel that its stream broke (`recovered: false`,
   * a new position) or that it has an epoch now (`recovered: true`).
   */
  subscribed(frame: ServerFrame): void {
    const solicited = frame.id !== undefined;
    const shared = solicited ? this.takePending(frame.id) : this.liveOf(frame.channel);
    if (shared === undefined) return;
    const recovered = typeof frame.recovered === 'boolean' ? frame.recovered : undefined;
    const asked = solicited && shared.recovering === true;
    if (solicited) {
      shared.recovering = false;
      shared.retry = undefined;
    }
    // Recovered: the replayed frames follow and move the position themselves. Otherwise the
    // position is the frame's (none: the channel has no history, or no longer).
    if (!(asked && recovered === true)) shared.position = positionOfFrame(frame);
    if (recovered !== undefined && (asked || (!solicited && !recovered))) {
      this.recoveries.next({ channel: shared.channel, recovered });
    }
  }

  /** An `unsubscribed` answering an `unsubscribe` of ours: the channel's data frames are the live subscription's again. */
  unsubscribed(id: unknown): void {
    if (typeof id === 'number') this.unsubscribing.delete(id);
  }

  /**
   * An error frame answering a `subscribe` of ours (the subscription is refused, or, `UNAVAILABLE`,
   * tried again after a backoff) or an `unsubscribe`. True when it answered one of them.
   */
  refused(id: unknown, error: SocketApiError): boolean {
    if (typeof id === 'number' && this.unsubscribing.delete(id)) return true;
    const shared = this.takePending(id);
    if (shared === undefined) return false;
    if (error.code === UNAVAILABLE) this.retryLater(shared);
    else this.end(shared, (observer) => observer.error(error));
    return true;
  }

  /** A `data` frame. A history channel's frame at or below the position was received already: dropped. */
  data(frame: ServerFrame): void {
    const shared = this.liveOf(frame.channel);
    if (shared === undefined || this.isUnsubscribing(shared.channel)) return;
    const offset = offsetOfFrame(frame);
    const position = shared.position;
    if (offset !== undefined && position !== undefined) {
      if (offset <= position.offset) return;
      position.offset = offset;
    }
    for (const observer of [...shared.observers]) observer.next(frame.data);
  }

  /** An `unsubscribed` the client did not ask for (no id): the server ended the subscription. */
  unsubscribedByServer(channel: unknown): void {
    if (typeof channel !== 'string') return;
    const shared = this.byChannel.get(channel);
    if (shared === undefined) return;
    const error = new SocketApiError(ClientErrorCode.UNSUBSCRIBED, ClientMessage.unsubscribedByServer(channel));
    this.end(shared, (observer) => observer.error(error));
  }

  /** The client stopped: every observer is told (an error for a terminal failure, completion for `close()`). */
  endAll(error: SocketApiError | undefined): void {
    this.stopped = { error };
    for (const shared of [...this.byChannel.values()]) {
      this.end(shared, (observer) => (error ? observer.error(error) : observer.complete()));
    }
    this.recoveries.complete();
  }

  private subscribe(shared: SharedSubscription): void {
    if (shared.pendingId !== undefined) this.byPendingId.delete(shared.pendingId);
    shared.pendingId = undefined;
    let data: unknown;
    try {
      data = typeof shared.data === 'function' ? (shared.data as () => unknown)() : shared.data;
      // Serialized here too, so that data JSON cannot carry fails this subscription, not the send
      // (which would throw out of the code that resubscribes everything at a reconnect).
      JSON.stringify(data);
    } catch (error) {
      const failure = new SocketApiError(ClientErrorCode.DATA_FAILED, ClientMessage.dataFailed(shared.channel, error));
      this.end(shared, (observer) => observer.error(failure));
      return;
    }
    const id = this.link.nextId();
    const frame: SubscribeFrame = { type: 'subscribe', channel: shared.channel, id };
    if (data !== undefined) frame.data = data;
    if (shared.position !== undefined) frame.recover = shared.position;
    // Not connected: the next connection subscribes it (resubscribeAll).
    if (!this.link.send(frame)) return;
    shared.pendingId = id;
    shared.recovering = frame.recover !== undefined;
    this.byPendingId.set(id, shared);
  }

  private retryLater(shared: SharedSubscription): void {
    const retry = (shared.retry ??= { backoff: this.link.backoff() });
    stopTimer(retry.timer);
    retry.timer = startTimer(() => {
      retry.timer = undefined;
      if (this.byChannel.get(shared.channel) === shared && shared.pendingId === undefined) this.subscribe(shared);
    }, retry.backoff.next());
  }

  private leave(shared: SharedSubscription, observer: Subscriber<unknown>): void {
    shared.observers.delete(observer);
    if (shared.observers.size > 0 || this.byChannel.get(shared.channel) !== shared) return;
    this.forget(shared);
    const id = this.link.nextId();
    if (this.link.send({ type: 'unsubscribe', channel: shared.channel, id }))
      this.unsubscribing.set(id, shared.channel);
  }

  private isUnsubscribing(channel: string): boolean {
    for (const left of this.unsubscribing.values()) if (left === channel) return true;
    return false;
  }

  private end(shared: SharedSubscription, tell: (observer: Subscriber<unknown>) => void): void {
    this.forget(shared);
    for (const observer of [...shared.observers]) tell(observer);
    shared.observers.clear();
  }

  private forget(shared: SharedSubscription): void {
    stopRetry(shared);
    if (shared.pendingId !== undefined) this.byPendingId.delete(shared.pendingId);
    if (this.byChannel.get(shared.channel) === shared) this.byChannel.delete(shared.channel);
  }

  private liveOf(channel: unknown): SharedSubscription | undefined {
    return typeof channel === 'string' ? this.byChannel.get(channel) : undefined;
  }

  private takePending(id: unknown): SharedSubscription | undefined {
    if (typeof id !== 'number') return undefined;
    const shared = this.byPendingId.get(id);
    if (shared === undefined) return undefined;
    this.byPendingId.delete(id);
    shared.pendingId = undefined;
    return shared;
  }
}

function stopRetry(shared: SharedSubscription): void {
  if (shared.retry === undefined) return;
  stopTimer(shared.retry.timer);
  shared.retry.timer = undefined;
}

/** Whether a second observer's data is the live subscription's: the same function, or equal JSON. */
function sameData(live: SubscribeData, wanted: SubscribeData): boolean {
  if (live === wanted) return true;
  if (typeof live === 'function' || typeof wanted === 'function') return false;
  try {
    return JSON.stringify(live) === JSON.stringify(wanted);
  } catch {
    // Data JSON cannot carry is never the live subscription's (that one was sent).
    return false;
  }
}
