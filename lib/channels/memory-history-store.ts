import { randomBytes } from 'node:crypto';
import type {
  HistoryLimits,
  HistoryRead,
  HistoryStore,
  StoredPublication,
  StreamPosition,
  StreamSink,
} from '../interfaces/channel-stream.interface.js';
import { canRecover, emptyStreamToken, type StreamMeta } from './recovery-check.js';

/** One published channel's stream. Only channels that were published to have one. */
interface MemoryStream {
  readonly epoch: string;
  readonly createdAt: number;
  top: number;
  /** The kept publications are `entries[head..]`, consecutive offsets ending at `top`. */
  entries: StoredPublication[];
  head: number;
  lastPublishedAt: number;
  /** The entries are dropped `ttlMs` after the last publication. */
  ttlMs: number;
  /** The epoch and top are forgotten then (`metaTtl` after the last publication or touch). */
  expiresAt: number;
}

const NO_PUBLICATIONS: readonly StoredPublication[] = [];
/** Trimmed entries are cut off the array in one go once this many piled up (amortized O(1) per publication). */
const COMPACT_AFTER = 1024;

/**
 * The history of one instance (the default when the broker brings no shared store): per published
 * channel, its offsets, epoch and last `size` publications, in this process's memory. A restarted
 * process is another incarnation: every epoch changes, so clients are told they cannot recover.
 *
 * `append` hands the publication to the sink synchronously, before its Promise resolves: local
 * subscribers have it when `publish()` resolves. Channels that are only subscribed to cost nothing
 * here (see the empty-stream token); a published channel is forgotten `metaTtl` after its last
 * publication, by a sweep that runs only while there is something to forget.
 */
export class MemoryHistoryStore implements HistoryStore {
  /** This store's life: part of every epoch and empty-stream token it gives. */
  readonly incarnation = randomBytes(9).toString('base64url');
  private readonly streams = new Map<string, MemoryStream>();
  private sweeper?: NodeJS.Timeout;
  private sweepIntervalMs = Infinity;

  constructor(
    private readonly sink: Pick<StreamSink, 'stored'>,
    private readonly clock: () => number = Date.now,
  ) {}

  // Not `async`: nothing here waits; the Promise is the contract's (a shared store's append does wait).
  append(channel: string, data: string, limits: HistoryLimits): Promise<StreamPosition> {
    const now = this.clock();
    let stream = this.current(channel, now, limits.ttlMs);
    if (stream) {
      // Re-inserted: the map stays in last-publication order.
      this.streams.delete(channel);
    } else {
      const epoch = `${this.incarnation}.${randomBytes(6).toString('base64url')}`;
      stream = { epoch, createdAt: now, top: 0, entries: [], head: 0, lastPublishedAt: now, ttlMs: 0, expiresAt: 0 };
    }
    this.streams.set(channel, stream);
    const offset = ++stream.top;
    stream.entries.push({ offset, data });
    if (stream.entries.length - stream.head > limits.size) this.trim(stream, limits.size);
    stream.lastPublishedAt = now;
    stream.ttlMs = limits.ttlMs;
    stream.expiresAt = now + limits.metaTtlMs;
    this.scheduleSweep(limits.ttlMs);
    const position = { offset, epoch: stream.epoch };
    this.sink.stored(channel, data, position);
    return Promise.resolve(position);
  }

  read(channel: string, since: StreamPosition | undefined, limits: HistoryLimits): Promise<HistoryRead> {
    const now = this.clock();
    const stream = this.current(channel, now, limits.ttlMs);
    const top = stream
      ? { offset: stream.top, epoch: stream.epoch }
      : { offset: 0, epoch: emptyStreamToken(this.incarnation, now) };
    const recovered =
      since !== undefined && canRecover(since, stream && this.meta(stream), now, this.incarnation, limits.metaTtlMs);
    const publications = recovered && stream ? this.after(stream, since.offset) : NO_PUBLICATIONS;
    return Promise.resolve({ top, recovered, publications });
  }

  touch(channel: string, limits: HistoryLimits): Promise<void> {
    const now = this.clock();
    const stream = this.current(channel, now, limits.ttlMs);
    if (stream) stream.expiresAt = Math.max(stream.expiresAt, now + limits.metaTtlMs);
    return Promise.resolve();
  }

  /** The channel's stream if it has one now: a stream past its meta TTL is gone, entries past their TTL are dropped. */
  private current(channel: string, now: number, ttlMs: number): MemoryStream | undefined {
    const stream = this.streams.get(channel);
    if (!stream) return undefined;
    if (now >= stream.expiresAt) {
      this.streams.delete(channel);
      return undefined;
    }
    if (now - stream.lastPublishedAt >= ttlMs) this.dropEntries(stream);
    return stream;
  }

  private meta(stream: MemoryStream): StreamMeta {
    const kept = stream.entries.length - stream.head;
    const firstRetained = kept > 0 ? stream.entries[stream.head].offset : stream.top + 1;
    return {
      epoch: stream.epoch,
      top: stream.top,
      createdAt: stream.createdAt,
      incarnation: this.incarnation,
      firstRetained,
    };
  }

  /** The kept publications after `offset` (the caller checked that they are all kept). */
  private after(stream: MemoryStream, offset: number): readonly StoredPublication[] {
    if (offset >= stream.top) return NO_PUBLICATIONS;
    const first = stream.entries[stream.head].offset;
    return stream.entries.slice(stream.head + (offset + 1 - first));
  }

  private trim(stream: MemoryStream, size: number): void {
    stream.head = stream.entries.length - size;
    if (stream.head >= COMPACT_AFTER) {
      stream.entries = stream.entries.slice(stream.head);
      stream.head = 0;
    }
  }

  private dropEntries(stream: MemoryStream): void {
    stream.entries = [];
    stream.head = 0;
  }

  /** Sweeps every clamp(ttl / 4, 1 s, 60 s) of the shortest ttl seen, while any stream is kept. */
  private scheduleSweep(ttlMs: number): void {
    const intervalMs = Math.min(60_000, Math.max(1000, ttlMs / 4));
    if (this.sweeper && intervalMs >= this.sweepIntervalMs) return;
    clearInterval(this.sweeper);
    this.sweepIntervalMs = intervalMs;
    // Unref'd: a store with streams left must not keep the process alive.
    this.sweeper = setInterval(() => this.sweep(), intervalMs).unref();
  }

  private sweep(): void {
    const now = this.clock();
    for (const [channel, stream] of this.streams) {
      if (now >= stream.expiresAt) this.streams.delete(channel);
      else if (now - stream.lastPublishedAt >= stream.ttlMs) this.dropEntries(stream);
    }
    if (this.streams.size > 0) return;
    clearInterval(this.sweeper);
    this.sweeper = undefined;
    this.sweepIntervalMs = Infinity;
  }
}
