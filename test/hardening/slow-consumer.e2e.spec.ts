import 'reflect-metadata';
import { setImmediate as tick } from 'node:timers/promises';
import { Injectable } from '@nestjs/common';
import WebSocket from 'ws';
import { SocketServer } from '../../lib/gateway/socket-server.js';
import type { WsConnection } from '../../lib/gateway/ws-connection.js';
import {
  Channel,
  InjectChannel,
  OnSocketConnect,
  OnSocketDisconnect,
  SocketApiModule,
  SocketChannel,
  SocketConnection,
} from '../../lib/index.js';
import { useCleanup } from '../support/cleanup.js';
import { startApp, type TestApp } from '../support/test-app.js';
import { forceGc } from '../support/force-gc.js';
import { sleep, waitFor } from '../support/wait.js';

/*
 * Slow consumers: a subscriber that stops reading (its TCP socket paused, so the kernel buffers
 * fill and the server's send buffer grows) while the server publishes 10,000 publications of about
 * 1 KB to its channel. With `maxBufferedBytes: 256 KiB` the server must not buffer them for it
 * (~10 MB): it closes it with 1013 (default) or drops its frames (`slowConsumer: 'drop'`), and
 * a subscriber that reads normally gets every publication, in order.
 *
 * The server runs in this process (Jest's), so the heap measured (after forced GC) is the server's
 * plus the test's own; Buffers live outside the V8 heap, so the footprint measured is
 * heapUsed + arrayBuffers. A control run with a 64 MiB limit shows what buffering costs.
 */

const PUBLICATIONS = 10_000;
const WARMUP_PUBLICATIONS = 1_000;
const CONTROL_PUBLICATIONS = 2 * PUBLICATIONS;
const MAX_BUFFERED_BYTES = 256 * 1024;
const FOOTPRINT_BOUND_MB = 8;
/** Publications per batch; between batches the event loop turns, so that readers can read. */
const BATCH = 50;
/** How far the normal subscriber may lag behind (in publications) before the publisher waits. */
const MAX_LAG = 100;
const PAD = 'x'.repeat(960);

interface Tick {
  seq: number;
  pad: string;
}

@Injectable()
class Feeds {
  @SocketChannel('feed')
  feed(): void {}

  @SocketChannel('ticks', { slowConsumer: 'drop' })
  ticks(): void {}
}

@Injectable()
class Publisher {
  constructor(
    @InjectChannel('feed') readonly feed: Channel<Tick>,
    @InjectChannel('ticks') readonly ticks: Channel<Tick>,
  ) {}
}

interface CloseRecord {
  name: string;
  code: number | undefined;
  reason: string | undefined;
}

/** Server side: each connection by its `?name=`, every close the server starts, every disconnect. */
@Injectable()
class ConnectionLog {
  /** The server's own connections (its socket is read below): what handlers see as `SocketConnection`. */
  readonly byName = new Map<string, WsConnection>();
  readonly serverCloses: CloseRecord[] = [];
  readonly disconnects: CloseRecord[] = [];

  @OnSocketConnect()
  connected(connection: SocketConnection): void {
    const name = String(connection.query.name);
    this.byName.set(name, connection as WsConnection);
    // Instrumentation: record the close the server decides on, before the client can read it.
    const { socket } = connection as WsConnection;
    const close = socket.close.bind(socket);
    socket.close = (code?: number, reason?: string | Buffer) => {
      this.serverCloses.push({ name, code, reason: reason?.toString() });
      close(code, reason);
    };
  }

  @OnSocketDisconnect()
  disconnected(connection: SocketConnection, code: number, reason: string): void {
    this.disconnects.push({ name: String(connection.query.name), code, reason });
  }
}

/**
 * A subscriber that keeps no frames: it checks the sequence as frames arrive (so 10,000 of them
 * cost the test's heap nothing), and, when asked, the sequence numbers it saw.
 */
class Subscriber {
  received = 0;
  lastSeq = 0;
  readonly disorder: string[] = [];
  readonly seqs: number[] = [];
  readonly others: Array<Record<string, unknown>> = [];
  close?: { code: number; reason: string };

  private constructor(
    readonly socket: WebSocket,
    readonly channel: string,
    private readonly contiguous: boolean,
  ) {
    socket.on('message', (data) => this.onFrame(JSON.parse((data as Buffer).toString()) as Record<string, unknown>));
    socket.once('close', (code, reason) => (this.close = { code, reason: reason.toString() }));
  }

  /**
   * Connects as `?name=<name>` and subscribes. `contiguous`: every publication must arrive
   * (seq = last + 1); else only increasing, and the sequence numbers are kept.
   */
  static async open(url: string, name: string, channel: string, contiguous: boolean): Promise<Subscriber> {
    const socket = new WebSocket(`${url}/?name=${name}`);
    await new Promise<void>((resolve, reject) => {
      socket.once('open', () => resolve());
      socket.once('error', reject);
    });
    const subscriber = new Subscriber(socket, channel, contiguous);
    socket.send(JSON.stringify({ type: 'subscribe', channel, id: 'sub' }));
    await subscriber.waitFor(() => subscriber.others.some((m) => m.type === 'subscribed'), `${name}'s subscription`);
    subscriber.others.length = 0;
    return subscriber;
  }

  /** The TCP socket under the WebSocket: pausing it stops reading, as a stuck client would. */
  get tcp(): { pause(): void; resume(): void } {
    return (this.socket as unknown as { _socket: { pause(): void; resume(): void } })._socket;
  }

  waitFor(condition: () => boolean, what: string): Promise<void> {
    const detail = () => `received ${this.received}, last seq ${this.lastSeq}, close ${JSON.stringify(this.close)}`;
    return waitFor(condition, { what, detail, timeoutMs: 20_000, intervalMs: 5 });
  }

  private onFrame(message: Record<string, unknown>): void {
    if (message.type !== 'data' || message.channel !== this.channel) {
      this.others.push(message);
      return;
    }
    const { seq } = message.data as Tick;
    const expected = this.contiguous ? seq === this.lastSeq + 1 : seq > this.lastSeq;
    if (!expected && this.disorder.length < 10) this.disorder.push(`seq ${seq} after ${this.lastSeq}`);
    if (!this.contiguous) this.seqs.push(seq);
    this.lastSeq = seq;
    this.received++;
  }
}

/**
 * Publishes seq `from`..`to` in batches, as a producer with its own pace would; between batches
 * it lets the event loop turn and waits for `reader` (the subscriber that reads normally) to be
 * within MAX_LAG publications, so that only the subscriber that stopped reading falls behind.
 */
async function publish(channel: Channel<Tick>, from: number, to: number, reader: Subscriber): Promise<void> {
  for (let seq = from; seq <= to;) {
    const end = Math.min(to, seq + BATCH - 1);
    for (; seq <= end; seq++) channel.publish({ seq, pad: PAD });
    await tick();
    const published = seq - 1;
    await reader.waitFor(
      () => reader.received >= published - from + 1 - MAX_LAG || reader.close !== undefined,
      'the reader to catch up',
    );
  }
}

interface Footprint {
  heapUsed: number;
  arrayBuffers: number;
  total: number;
}

/** heapUsed + arrayBuffers after full collections, once it has stopped shrinking. */
async function settledFootprint(gc: () => void): Promise<Footprint> {
  const read = (): Footprint => {
    const { heapUsed, arrayBuffers } = process.memoryUsage();
    return { heapUsed, arrayBuffers, total: heapUsed + arrayBuffers };
  };
  let best = read();
  for (let i = 0; i < 10; i++) {
    await sleep(20);
    gc();
    const now = read();
    const settled = now.total >= best.total - 64 * 1024;
    if (now.total < best.total) best = now;
    if (settled) break;
  }
  return best;
}

const mb = (bytes: number) => `${(bytes / 1024 / 1024).toFixed(2)} MB`;
const delta = (after: number, before: number) => `${after >= before ? '+' : '-'}${mb(Math.abs(after - before))}`;
const describeGrowth = (before: Footprint, after: Footprint) =>
  `heapUsed ${mb(before.heapUsed)} -> ${mb(after.heapUsed)} (${delta(after.heapUsed, before.heapUsed)}), ` +
  `arrayBuffers ${mb(before.arrayBuffers)} -> ${mb(after.arrayBuffers)} (${delta(after.arrayBuffers, before.arrayBuffers)}), ` +
  `total ${delta(after.total, before.total)}`;

/** Bytes of one publication's frame, as the server sends it. */
const FRAME_BYTES = Buffer.byteLength(JSON.stringify({ type: 'data', channel: 'feed', data: { seq: 5000, pad: PAD } }));

async function app(maxBufferedBytes: number): Promise<TestApp> {
  return startApp({
    imports: [SocketApiModule.forRoot({ maxBufferedBytes })],
    providers: [Feeds, Publisher, ConnectionLog],
  });
}

/**
 * Two subscribers of `channel`, warmed up with WARMUP_PUBLICATIONS that both read; then `paused`
 * stops reading and the baseline footprint is taken.
 */
async function setUp(t: TestApp, channel: 'feed' | 'ticks', gc: () => void) {
  const publisher = t.app.get(Publisher);
  const normal = await Subscriber.open(t.url, 'normal', channel, true);
  const paused = await Subscriber.open(t.url, 'paused', channel, false);
  await publish(publisher[channel], 1, WARMUP_PUBLICATIONS, normal);
  // Both read the warm-up; each socket gets its frames on its own schedule, so wait for both.
  await paused.waitFor(() => paused.received === WARMUP_PUBLICATIONS, 'the warm-up publications');
  await normal.waitFor(() => normal.received === WARMUP_PUBLICATIONS, 'the warm-up publications');
  paused.seqs.length = 0;
  paused.received = 0;
  normal.received = 0;
  paused.tcp.pause();
  const before = await settledFootprint(gc);
  return { publisher, normal, paused, before };
}

/**
 * The 'drop' scenario up to the end of the burst: two subscribers of 'ticks', `paused` stops reading,
 * 10,000 publications go out; returns the footprint before and after and the frames dropped.
 */
async function dropBurst(t: TestApp, gc: () => void) {
  const log = t.app.get(ConnectionLog);
  const gateway = t.app.get(SocketServer);
  const { publisher, normal, paused, before } = await setUp(t, 'ticks', gc);
  const droppedBefore = publisher.ticks.droppedCount;
  const started = Date.now();
  await publish(publisher.ticks, WARMUP_PUBLICATIONS + 1, WARMUP_PUBLICATIONS + PUBLICATIONS, normal);
  await normal.waitFor(() => normal.received === PUBLICATIONS, 'every publication at the normal subscriber');
  const took = Date.now() - started;
  const dropped = publisher.ticks.droppedCount - droppedBefore;
  const after = await settledFootprint(gc);
  console.log(
    `slow consumer (drop): ${PUBLICATIONS} publications of ${FRAME_BYTES} B in ${took} ms; droppedCount ${droppedBefore} -> ${publisher.ticks.droppedCount} ` +
      `(${dropped} dropped); server closes: ${JSON.stringify(log.serverCloses)}; ${describeGrowth(before, after)} (bound ${FOOTPRINT_BOUND_MB} MB)`,
  );
  expect(droppedBefore).toBe(0);
  return { log, gateway, publisher, normal, paused, before, after, dropped };
}

describe('slow consumer (maxBufferedBytes 256 KiB)', () => {
  const cleanup = useCleanup();
  let gc: () => void;
  beforeAll(() => {
    gc = forceGc();
  });

  it(
    `a subscriber that stops reading is closed with 1013 while 10,000 x ~1 KB publications go out; ` +
      `heapUsed + arrayBuffers grow by < ${FOOTPRINT_BOUND_MB} MB; a normal subscriber gets all of them in order`,
    async () => {
      const t = cleanup.track(await app(MAX_BUFFERED_BYTES));
      const log = t.app.get(ConnectionLog);
      const gateway = t.app.get(SocketServer);
      const { publisher, normal, paused, before } = await setUp(t, 'feed', gc);
      const started = Date.now();

      await publish(publisher.feed, WARMUP_PUBLICATIONS + 1, WARMUP_PUBLICATIONS + PUBLICATIONS, normal);
      await normal.waitFor(() => normal.received === PUBLICATIONS, 'every publication at the normal subscriber');
      const took = Date.now() - started;

      // The server's verdict, before the paused client can read a byte of it.
      expect(log.serverCloses).toEqual([{ name: 'paused', code: 1013, reason: 'Slow consumer' }]);
      expect(log.byName.get('paused')!.isOpen).toBe(false);
      const after = await settledFootprint(gc);

      console.log(
        `slow consumer (close): ${PUBLICATIONS} publications of ${FRAME_BYTES} B (${mb(PUBLICATIONS * FRAME_BYTES)} if buffered) in ${took} ms; ` +
          `paused subscriber closed by the server with 1013; ${describeGrowth(before, after)} (bound ${FOOTPRINT_BOUND_MB} MB); ` +
          `server connections before resume: ${gateway.connectionCount}`,
      );
      expect(normal.disorder).toEqual([]);
      expect(normal.received).toBe(PUBLICATIONS);
      expect(normal.lastSeq).toBe(WARMUP_PUBLICATIONS + PUBLICATIONS);
      expect(normal.close).toBeUndefined();
      expect(after.total - before.total).toBeLessThan(FOOTPRINT_BOUND_MB * 1024 * 1024);

      // Once the client reads again, it gets what the kernel held, then the close frame.
      paused.tcp.resume();
      await paused.waitFor(() => paused.close !== undefined, 'the paused client to see the close');
      expect([1013, 1006]).toContain(paused.close!.code);
      expect(paused.disorder).toEqual([]);
      await normal.waitFor(() => gateway.connectionCount === 1, 'the server to forget the slow consumer');
      expect(log.disconnects).toEqual([
        { name: 'paused', code: paused.close!.code, reason: paused.close!.code === 1013 ? 'Slow consumer' : '' },
      ]);
      console.log(
        `slow consumer (close): after resume the client read ${paused.received} publication(s) (last seq ${paused.lastSeq}) then close ${paused.close!.code}; ` +
          `disconnect hook saw ${log.disconnects[0].code}`,
      );
      expect(publisher.feed.subscriberCount).toBe(1);

      // The normal subscriber is unaffected.
      publisher.feed.publish({ seq: WARMUP_PUBLICATIONS + PUBLICATIONS + 1, pad: PAD });
      await normal.waitFor(() => normal.received === PUBLICATIONS + 1, 'one more publication');
      normal.socket.close();
      await normal.waitFor(() => normal.close !== undefined, 'the normal subscriber to close');
    },
    90_000,
  );

  /*
   * 'drop' channels: data frames are dropped once the subscriber's send buffer is half full, so
   * that its other replies (pong, action replies) still have room below the close limit.
   */
  it(
    `on a channel with slowConsumer 'drop', the normal subscriber gets all 10,000 publications in order, the paused one's are dropped ` +
      `(droppedCount > 0), and heapUsed + arrayBuffers grow by < ${FOOTPRINT_BOUND_MB} MB`,
    async () => {
      const t = cleanup.track(await app(MAX_BUFFERED_BYTES));
      const burst = await dropBurst(t, gc);
      expect(burst.normal.disorder).toEqual([]);
      expect(burst.normal.received).toBe(PUBLICATIONS);
      expect(burst.normal.close).toBeUndefined();
      expect(burst.dropped).toBeGreaterThan(0);
      expect(burst.after.total - burst.before.total).toBeLessThan(FOOTPRINT_BOUND_MB * 1024 * 1024);
    },
    90_000,
  );

  it(
    `on a 'drop' channel the subscriber that stops reading is NOT closed; after resume and catch-up ` +
      `it gets the frames not dropped, in order, answers ping with pong and gets new publications`,
    async () => {
      const t = cleanup.track(await app(MAX_BUFFERED_BYTES));
      const { log, gateway, publisher, normal, paused, dropped, after, before } = await dropBurst(t, gc);
      expect(log.serverCloses).toEqual([]);
      expect(log.byName.get('paused')!.isOpen).toBe(true);
      expect(gateway.connectionCount).toBe(2);
      expect(dropped).toBeGreaterThan(0);
      expect(after.total - before.total).toBeLessThan(FOOTPRINT_BOUND_MB * 1024 * 1024);

      // Resumed: it reads what the server still held for it (the frames not dropped).
      paused.tcp.resume();
      const server = log.byName.get('paused')!;
      await paused.waitFor(
        () => server.socket.bufferedAmount === 0 && paused.received === PUBLICATIONS - dropped,
        'the catch-up',
      );
      expect(paused.close).toBeUndefined();
      expect(paused.disorder).toEqual([]);
      expect(paused.seqs[0]).toBe(WARMUP_PUBLICATIONS + 1);
      console.log(
        `slow consumer (drop): after resume the client got ${paused.received} publication(s), seq ${paused.seqs[0]}..${paused.lastSeq} (increasing)`,
      );

      paused.socket.send(JSON.stringify({ type: 'ping', id: 'after-resume' }));
      await paused.waitFor(() => paused.others.length > 0 || paused.close !== undefined, 'the pong after resume');
      expect(paused.others).toEqual([{ type: 'pong', id: 'after-resume' }]);

      const next = WARMUP_PUBLICATIONS + PUBLICATIONS + 1;
      publisher.ticks.publish({ seq: next, pad: PAD });
      await paused.waitFor(() => paused.lastSeq === next || paused.close !== undefined, 'a publication after resume');
      await normal.waitFor(() => normal.lastSeq === next, 'a publication after resume');
      expect(paused.lastSeq).toBe(next);
      expect(paused.close).toBeUndefined();
      for (const subscriber of [normal, paused]) subscriber.socket.close();
      await paused.waitFor(() => gateway.connectionCount === 0, 'both to close');
    },
    90_000,
  );

  it(
    `a 'drop' subscriber that resumes and pings at once, while the server's buffer to it is ` +
      `still full of channel data, gets its pong after the frames not dropped and is not closed`,
    async () => {
      const t = cleanup.track(await app(MAX_BUFFERED_BYTES));
      const { log, paused, dropped } = await dropBurst(t, gc);
      paused.tcp.resume();
      paused.socket.send(JSON.stringify({ type: 'ping', id: 'at-once' }));
      await paused.waitFor(() => paused.others.length > 0 || paused.close !== undefined, 'the pong');
      // Let a close that follows the pong show up.
      await paused.waitFor(
        () => log.byName.get('paused')!.socket.bufferedAmount === 0 || paused.close !== undefined,
        'the catch-up',
      );
      await sleep(200);
      expect(paused.others).toEqual([{ type: 'pong', id: 'at-once' }]);
      expect(paused.close).toBeUndefined();
      expect(log.serverCloses).toEqual([]);
      expect(paused.received).toBe(PUBLICATIONS - dropped);
      expect(paused.disorder).toEqual([]);
    },
    90_000,
  );

  /*
   * The control sends twice as much: the kernel's socket buffers on loopback absorb a few MB of what
   * the paused subscriber does not read (about 4 MB here), and that part is not in the process.
   */
  it(`control: with maxBufferedBytes 64 MiB nothing stops the buffering, and the same measurement sees the ~${mb(CONTROL_PUBLICATIONS * FRAME_BYTES)} held for the paused subscriber`, async () => {
    const t = cleanup.track(await app(64 * 1024 * 1024));
    const log = t.app.get(ConnectionLog);
    const { publisher, normal, paused, before } = await setUp(t, 'feed', gc);
    await publish(publisher.feed, WARMUP_PUBLICATIONS + 1, WARMUP_PUBLICATIONS + CONTROL_PUBLICATIONS, normal);
    await normal.waitFor(() => normal.received === CONTROL_PUBLICATIONS, 'every publication at the normal subscriber');
    const buffered = log.byName.get('paused')!.socket.bufferedAmount;
    const after = await settledFootprint(gc);
    console.log(
      `control (64 MiB limit): paused subscriber not closed, ${mb(buffered)} in its send buffer; ${describeGrowth(before, after)}`,
    );
    expect(log.serverCloses).toEqual([]);
    expect(buffered).toBeGreaterThan(FOOTPRINT_BOUND_MB * 1024 * 1024);
    expect(after.total - before.total).toBeGreaterThan(buffered);
    paused.socket.terminate();
    normal.socket.close();
    await normal.waitFor(() => normal.close !== undefined, 'the normal subscriber to close');
  }, 90_000);
});
