import { Buffer } from 'node:buffer';
import type { ClassTransformOptions } from 'class-transformer';
import { filter, map, Subject, type Observable } from 'rxjs';
import type {
  ChannelRoute,
  HistoryLimits,
  HistoryStore,
  StreamPosition,
} from '../interfaces/channel-stream.interface.js';
import type { SocketApiBroker } from '../interfaces/socket-api-broker.interface.js';
import { dataFrame } from '../protocol/server-messages.js';
import { toPlain } from '../protocol/to-plain.js';
import { ChannelFamily, type Channel } from './channel.js';
import { ServerChannel } from './server-channel.js';
import type { ChannelPattern } from './channel-pattern.js';
import { FanOutChannel, type DeclaredChannelOptions, type FamilyPublication } from './fan-out-channel.js';
import { storePublication } from './store-publication.js';

/**
 * The channels of one declared pattern (`rooms/:roomId`): makes the `FanOutChannel` of a concrete name
 * when it gets its first member, and publishes to any concrete name, whether this instance has
 * subscribers of it or not. It keeps nothing per concrete name: the hub holds the live ones.
 */
export class FanOutChannelFamily<T = unknown> extends ChannelFamily<T> {
  /** Every publication of the family made here, or received here for a concrete channel with members. */
  readonly publications = new Subject<FamilyPublication>();
  private declaration?: DeclaredChannelOptions;

  constructor(
    readonly compiled: ChannelPattern,
    /** The channel of a concrete name when it has members here (or an exact channel of that name). */
    private readonly find: (name: string) => FanOutChannel | undefined,
    private readonly broker: SocketApiBroker,
    /** Where a history pattern's publications are stored (the hub's store). */
    private readonly store: HistoryStore,
    private readonly serialization?: ClassTransformOptions,
  ) {
    super();
  }

  get pattern(): string {
    return this.compiled.source;
  }

  get isDeclared(): boolean {
    return this.declaration !== undefined;
  }

  /** The declaration's history limits: each concrete channel gets a stream (made by the hub's `acquire`). */
  get history(): HistoryLimits | undefined {
    return this.declaration?.history;
  }

  /** The declaration's presence: each concrete channel gets its own (made by the hub's `acquire`). */
  get presence(): DeclaredChannelOptions['presence'] {
    return this.declaration?.presence;
  }

  declare(options: DeclaredChannelOptions): void {
    this.declaration = options;
  }

  name(params: Record<string, string>): string {
    return this.compiled.format(params);
  }

  to(params: Record<string, string>): Channel<T> {
    return this.concrete(params);
  }

  /** `to`, for parameters as a method call has them (a number becomes its decimal text). */
  concrete(params: Readonly<Record<string, unknown>>): Channel<T> {
    return new ConcreteChannel<T>(this, this.compiled.format(params));
  }

  /** The channel of `route` for its first member: declared with the family's options. */
  open(route: ChannelRoute): FanOutChannel {
    const channel = new FanOutChannel(route.name, this.broker, this.serialization, route.params);
    channel.declare(this.declaration ?? {});
    channel.familyPublications = this.publications;
    channel.pattern = this.pattern;
    return channel;
  }

  /**
   * Publishes to the concrete channel `name`: through its channel when it has members here, else to the
   * other instances only; with history, through the store (a Promise of its position) either way.
   */
  publish(name: string, payload: T): void | Promise<StreamPosition> {
    this.assertDeclared();
    const channel = this.find(name);
    if (channel) return channel.publish(payload);
    const { history, toWire } = this.declaration ?? {};
    if (history) {
      const sent = toWire ? toWire(payload) : payload;
      const stored = storePublication(this.store, name, history, sent, this.serialization);
      if (this.publications.observed) this.publications.next({ channel: name, payload });
      return stored;
    }
    // Serialized here too, in the caller's stack, so that a payload JSON cannot hold fails the caller.
    const plain = toWire ? toWire(payload) : toPlain(payload, this.serialization);
    this.broker.publish(name, Buffer.from(dataFrame(name, plain)));
    if (this.publications.observed) this.publications.next({ channel: name, payload });
  }

  subscriberCount(name: string): number {
    return this.find(name)?.subscriberCount ?? 0;
  }

  droppedCount(name: string): number {
    return this.find(name)?.droppedCount ?? 0;
  }

  private assertDeclared(): void {
    if (!this.declaration) {
      const { source } = this.compiled;
      throw new Error(`Channel '${source}' is not declared: no @SocketChannel('${source}') method was found.`);
    }
  }
}

/**
 * `family.to(params)`: one concrete channel of a pattern as a `Channel`. Stateless and not kept, so that
 * a handle made for a publication costs nothing once it is gone; its counts are those of the live channel.
 */
class ConcreteChannel<T> extends ServerChannel<T> {
  constructor(
    private readonly family: FanOutChannelFamily<T>,
    readonly name: string,
  ) {
    super();
  }

  get subscriberCount(): number {
    return this.family.subscriberCount(this.name);
  }

  get droppedCount(): number {
    return this.family.droppedCount(this.name);
  }

  // eslint-disable-next-line @typescript-eslint/no-misused-promises -- a handle of a history pattern is a HistoryChannel at runtime
  publish(payload: T): void | Promise<StreamPosition> {
    return this.family.publish(this.name, payload);
  }

  asObservable(): Observable<T> {
    const { name } = this;
    return this.family.publications.pipe(
      filter((publication) => publication.channel === name),
      map((publication) => publication.payload as T),
    );
  }
}
