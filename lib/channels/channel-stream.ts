import { Buffer } from 'node:buffer';
import type { ClassTransformOptions } from 'class-transformer';
import type {
  HistoryLimits,
  HistoryRead,
  HistoryStore,
  StreamPosition,
} from '../interfaces/channel-stream.interface.js';
import { historyDataFrame, subscribedReply } from '../protocol/server-messages.js';
import type { ChannelSubscriber, FanOutChannel, HistoryStream, StreamJoin } from './fan-out-channel.js';
import { isEmptyStreamToken } from './recovery-check.js';
import { storePublication } from './store-publication.js';

/** A frame delivered while a subscriber joins: `order` is its offset (the epoch adoption notice sorts just before 1). */
interface BufferedFrame {
  readonly order: number;
  readonly frame: Buffer;
  /** The publication's stored text (what a channel filter reads); undefined for a notice. */
  readonly data?: string;
}

/** A subscriber parked while it joins: it buffers what the channel delivers meanwhile. */
interface Joining {
  buffer: BufferedFrame[];
  since: StreamPosition | undefined;
  onLive: (join: StreamJoin) => void;
  done: () => void;
  fail: (failure: unknown) => void;
  /** The store's answer for it, once read. */
  read: HistoryRead | undefined;
  /** Reads started: an answer to an older one is ignored (the stream changed meanwhile: read again). */
  reads: number;
  failed: boolean;
  /** The safety net: the channel did not reach its top in time, the store fills the gap. */
  timer: NodeJS.Timeout | undefined;
}

/** What a stream uses of its channel. */
type StreamChannel = Pick<FanOutChannel, 'name' | 'subscribers' | 'deliverStored'>;

interface HeldPublication {
  readonly data: string;
  readonly position: StreamPosition;
}

/** Where the epoch adoption notice sorts among buffered frames: after the empty stream (0), before offset 1. */
const ADOPTION_ORDER = 0.5;
/** A joining subscriber whose top the channel has not delivered after this long gets the gap filled from the store. */
const REPAIR_AFTER_MS = 1000;
/** Reads of one repair before it gives up until the next trigger (a publication, a timer, `resume`). */
const MAX_REPAIR_ROUNDS = 3;

const nothing = (): void => undefined;

/**
 * The live side of one history channel of this process: every publication comes back from the store
 * (the sink) with its offset, and this delivers them strictly in offset order: duplicates are dropped,
 * a gap is filled from the store, and a stream the store lost is announced to the live subscribers
 * (the resync notice) rather than papered over.
 *
 * A subscriber joins in two steps: parked (it buffers what is delivered from then on), then the store
 * is read; when the channel has delivered up to the top read, the replay and the buffered frames above
 * it are handed over and the subscriber goes live, in one synchronous step. Node runs one thing at a
 * time, so no publication can fall between: no gap, no duplicate, and a recovery is whole or refused.
 */
export class ChannelStream implements HistoryStream {
  /** What the channel has delivered last; undefined until the first read since it had no member. */
  private last: StreamPosition | undefined;
  /** Publications that arrived ahead of their turn (or before the first read), by offset. */
  private readonly ahead = new Map<number, HeldPublication>();
  private readonly pending = new Map<ChannelSubscriber, Joining>();
  private repairing = false;
  private checkRequested = false;
  /** The channel had no member: its position is re-read when one comes. */
  private stale = false;
  private toucher: NodeJS.Timeout | undefined;

  constructor(
    private readonly channel: StreamChannel,
    private readonly store: HistoryStore,
    readonly limits: HistoryLimits,
    private readonly serialization?: ClassTransformOptions,
  ) {}

  /** Subscribers still joining. */
  get pendingCount(): number {
    return this.pending.size;
  }

  /** Stores `payload` (see `storePublication`): it comes back through `receive`, with its offset. */
  publish(payload: unknown): Promise<StreamPosition> {
    return storePublication(this.store, this.channel.name, this.limits, payload, this.serialization);
  }

  /** A stored publication from the sink: delivered in offset order, duplicates dropped, gaps filled. */
  receive(data: string, position: StreamPosition): void {
    const last = this.last;
    if (last === undefined) {
      // Before the first read: kept for the subscribers joining, nobody else is waiting for it.
      if (this.pending.size > 0) this.ahead.set(position.offset, { data, position });
      return;
    }
    if (position.epoch !== last.epoch) {
      // Offset 1 of a channel that had no stream: its birth. Anything else: another stream, the store decides.
      if (position.offset !== 1 || !isEmptyStreamToken(last.epoch)) return this.hold(data, position);
      this.adopt(position.epoch);
    }
    const lastOffset = this.last!.offset;
    if (position.offset <= lastOffset) return;
    if (position.offset > lastOffset + 1) return this.hold(data, position);
    this.emit(data, position);
    this.drainAhead();
    this.completeJoins();
  }

  /** The store is reachable again (and the channel listened to): what was missed meanwhile is checked. */
  resume(): void {
    this.checkRequested = true;
    void this.repair();
  }

  /** Counts `subscriber` as a member from now on: it buffers what the channel delivers until it joins. */
  park(subscriber: ChannelSubscriber): void {
    if (this.stale && this.pending.size === 0 && this.channel.subscribers.size === 0) {
      // Nobody was here to see the stream move on: its position is read again by this join.
      this.last = undefined;
      this.ahead.clear();
      this.stale = false;
    }
    if (this.pending.has(subscriber)) return;
    this.pending.set(subscriber, {
      buffer: [],
      since: undefined,
      onLive: nothing,
      done: nothing,
      fail: nothing,
      read: undefined,
      reads: 0,
      failed: false,
      timer: undefined,
    });
    this.keepAlive();
  }

  /**
   * Reads the store for `subscriber` (parked if it is not yet) and, once the channel has delivered up
   * to the top read, calls `onLive` and unparks it in the same synchronous step (`onLive` makes it a
   * live subscriber). Resolves then, or when it is dropped; rejects with the store's failure, leaving
   * it parked: the caller drops it (through `Subscriptions`, which counts it as a member).
   */
  join(
    subscriber: ChannelSubscriber,
    since: StreamPosition | undefined,
    onLive: (join: StreamJoin) => void,
  ): Promise<void> {
    this.park(subscriber);
    const joining = this.pending.get(subscriber)!;
    return new Promise<void>((resolve, reject) => {
      joining.since = since;
      joining.onLive = onLive;
      joining.done = resolve;
      joining.fail = reject;
      this.startRead(subscriber, joining);
    });
  }

  /** Unparks `subscriber` (unsubscribed or gone while joining); false when it was not parked. */
  drop(subscriber: ChannelSubscriber): boolean {
    const joining = this.pending.get(subscriber);
    if (!joining) return false;
    this.pending.delete(subscriber);
    clearTimeout(joining.timer);
    joining.done();
    return true;
  }

  /** The channel has no member left: nothing to keep alive, and its position will be read again. */
  idle(): void {
    clearInterval(this.toucher);
    this.toucher = undefined;
    this.stale = true;
  }

  private startRead(subscriber: ChannelSubscriber, joining: Joining): void {
    const reads = ++joining.reads;
    joining.read = undefined;
    const isCurrent = () => this.pending.get(subscriber) === joining && joining.reads === reads;
    this.store.read(this.channel.name, joining.since, this.limits).then(
      (read) => {
        if (!isCurrent()) return;
        joining.read = read;
        if (this.last === undefined) {
          // The first read since the channel had no member: the channel starts from its top.
          this.last = read.top;
          this.replayAhead();
        }
        if (this.pending.get(subscriber) === joining) this.tryComplete(subscriber, joining);
      },
      (failure: unknown) => {
        if (!isCurrent()) return;
        joining.failed = true;
        clearTimeout(joining.timer);
        joining.fail(failure);
      },
    );
  }

  private tryComplete(subscriber: ChannelSubscriber, joining: Joining): void {
    const { read } = joining;
    const last = this.last;
    if (read === undefined || last === undefined || joining.failed) return;
    const { top } = read;
    // A top that is an empty-stream token is offset 0: the channel is always past it.
    if (!isEmptyStreamToken(top.epoch)) {
      if (top.epoch !== last.epoch) {
        if (!isEmptyStreamToken(last.epoch)) {
          // Read in another stream than the channel's: the store says which is current, then read again.
          this.startRead(subscriber, joining);
          void this.repair();
          return;
        }
        return this.waitFor(joining);
      }
      if (last.offset < top.offset) return this.waitFor(joining);
    }
    this.complete(subscriber, joining, read);
  }

  /** The channel will deliver the top read (pub/sub follows the store's order); if not in time, the store fills in. */
  private waitFor(joining: Joining): void {
    joining.timer ??= setTimeout(() => {
      joining.timer = undefined;
      void this.repair();
    }, REPAIR_AFTER_MS).unref();
  }

  private complete(subscriber: ChannelSubscriber, joining: Joining, read: HistoryRead): void {
    clearTimeout(joining.timer);
    const target = read.top.offset;
    const frames: Buffer[] = [];
    const data: (string | undefined)[] = [];
    if (read.recovered) {
      for (const publication of read.publications) {
        frames.push(Buffer.from(historyDataFrame(this.channel.name, publication.data, publication.offset)));
        data.push(publication.data);
      }
    }
    // Those at or below the top are in the replay, or before the client's position; those above must follow it
    // without a hole. A hole: they were delivered before its read counted (another join's read, answered first,
    // set where the channel starts); a read made now starts where its buffer does.
    let next = target + 1;
    for (const buffered of joining.buffer) {
      const { order } = buffered;
      if (order <= target) continue;
      if (order !== ADOPTION_ORDER && order !== next++) return this.startRead(subscriber, joining);
      frames.push(buffered.frame);
      data.push(buffered.data);
    }
    try {
      joining.onLive({ top: read.top, recovered: joining.since && read.recovered, frames, data });
    } catch (failure) {
      this.pending.delete(subscriber);
      return joining.fail(failure);
    }
    // Unparked only now: while `onLive` made it live, it was still counted as a member.
    this.pending.delete(subscriber);
    joining.done();
  }

  private completeJoins(): void {
    if (this.pending.size === 0) return;
    for (const [subscriber, joining] of this.pending) this.tryComplete(subscriber, joining);
  }

  private emit(data: string, position: StreamPosition): void {
    const frame = Buffer.from(historyDataFrame(this.channel.name, data, position.offset));
    this.last = position;
    if (this.pending.size > 0) {
      for (const joining of this.pending.values()) joining.buffer.push({ order: position.offset, frame, data });
    }
    this.channel.deliverStored(frame, data);
  }

  /** The channel's first stream was born: live subscribers learn its epoch (their position stays recoverable). */
  private adopt(epoch: string): void {
    const top = { offset: 0, epoch };
    this.last = top;
    const frame = Buffer.from(subscribedReply(this.channel.name, undefined, { top, recovered: true }));
    for (const subscriber of this.channel.subscribers) subscriber.sendFrame(frame);
    for (const joining of this.pending.values()) joining.buffer.push({ order: ADOPTION_ORDER, frame });
  }

  /**
   * The stream the channel followed is gone (epoch changed, or a gap the store no longer holds): live
   * subscribers are told, with their new position; joining ones read again.
   */
  private resync(top: StreamPosition): void {
    this.last = top;
    const frame = Buffer.from(subscribedReply(this.channel.name, undefined, { top, recovered: false }));
    for (const subscriber of this.channel.subscribers) subscriber.sendFrame(frame);
    for (const [subscriber, joining] of this.pending) {
      joining.buffer = [];
      if (joining.reads > 0 && !joining.failed) this.startRead(subscriber, joining);
    }
    this.dropStale(top.epoch);
    this.replayAhead();
  }

  private hold(data: string, position: StreamPosition): void {
    // Nobody here to deliver to: the position is read again when someone joins.
    if (this.pending.size === 0 && this.channel.subscribers.size === 0) return;
    // Bounded: what is let go is in the store, read back by a repair (or past the top of the resync that ends the gap).
    if (this.ahead.size >= this.limits.size) this.ahead.clear();
    this.ahead.set(position.offset, { data, position });
    void this.repair();
  }

  private drainAhead(): void {
    if (this.ahead.size === 0) return;
    for (let next = this.nextHeld(); next !== undefined; next = this.nextHeld()) {
      this.ahead.delete(next.position.offset);
      this.emit(next.data, next.position);
    }
    const { offset, epoch } = this.last!;
    for (const [held, { position }] of this.ahead) {
      if (held <= offset && position.epoch === epoch) this.ahead.delete(held);
    }
  }

  private nextHeld(): HeldPublication | undefined {
    const next = this.ahead.get(this.last!.offset + 1);
    return next?.position.epoch === this.last!.epoch ? next : undefined;
  }

  /** Held publications again through `receive`, in offset order (after the position was set or reset). */
  private replayAhead(): void {
    if (this.ahead.size === 0) return;
    const held = [...this.ahead.values()].sort((a, b) => a.position.offset - b.position.offset);
    this.ahead.clear();
    for (const { data, position } of held) this.receive(data, position);
  }

  /** Held publications of a stream other than the store's current one can never be delivered. */
  private dropStale(epoch: string): void {
    for (const [offset, { position }] of this.ahead) if (position.epoch !== epoch) this.ahead.delete(offset);
  }

  private needsRepair(): boolean {
    if (this.last === undefined) return false;
    if (this.checkRequested || this.ahead.size > 0) return true;
    for (const joining of this.pending.values()) if (joining.read !== undefined) return true;
    return false;
  }

  /**
   * Fills what the channel missed from the store (a gap, a joining subscriber's top not reached), or
   * resyncs when the store no longer has it. One at a time; a failing store leaves things as they are
   * until the next trigger.
   */
  private async repair(): Promise<void> {
    if (this.repairing) return;
    this.repairing = true;
    try {
      for (let round = 0; round < MAX_REPAIR_ROUNDS && this.needsRepair(); round++) {
        this.checkRequested = false;
        const since = this.last!;
        let read: HistoryRead;
        try {
          read = await this.store.read(this.channel.name, since, this.limits);
        } catch {
          return; // the store is unreachable: `resume` brings us back
        }
        if (read.recovered) {
          this.dropStale(read.top.epoch);
          for (const { data, offset } of read.publications) this.receive(data, { offset, epoch: read.top.epoch });
        } else if (this.last === since) {
          this.resync(read.top);
        }
      }
    } finally {
      this.repairing = false;
    }
    this.completeJoins();
  }

  /** While the channel has members, its epoch is kept alive in the store (a quiet room keeps its history's identity). */
  private keepAlive(): void {
    if (this.toucher) return;
    const { name } = this.channel;
    this.toucher = setInterval(() => {
      this.store.touch(name, this.limits).catch(nothing);
    }, this.limits.metaTtlMs / 3).unref();
  }
}
