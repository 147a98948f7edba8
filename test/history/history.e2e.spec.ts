import 'reflect-metadata';
import { Injectable } from '@nestjs/common';
import { ChannelHub } from '../../lib/channels/channel-hub.js';
import { MemoryHistoryStore } from '../../lib/channels/memory-history-store.js';
import {
  Connection,
  Data,
  HistoryChannel,
  HistoryUnavailableError,
  InjectChannel,
  SocketAction,
  SocketApiModule,
  SocketChannel,
  type Channel,
  type HistoryRead,
  type HistoryStore,
  type SocketApiBroker,
  type SocketConnection,
  type StreamPosition,
  type StreamSink,
} from '../../lib/index.js';
import { useCleanup } from '../support/cleanup.js';
import { startApp, type TestApp } from '../support/test-app.js';
import { sleep, waitFor } from '../support/wait.js';
import { TestClient } from '../support/ws-client.js';

/**
 * History on one instance (the in-memory store): offsets, `subscribed` with the position, recovery
 * inside and outside the window, the empty-stream token, and the asynchronous publish of history channels.
 */

interface Tick {
  n: number;
}

@Injectable()
class Ticks {
  constructor(
    @InjectChannel('ticks') private readonly ticks: HistoryChannel<Tick>,
    @InjectChannel('ticks') private readonly ticksAsPlain: Channel<Tick>,
  ) {}

  @SocketChannel('ticks', { history: { size: 5, ttl: 1000 }, initialData: true })
  subscribeTicks() {
    return { welcome: true };
  }

  @SocketChannel('plain', { initialData: true })
  subscribePlain() {
    return { hello: 1 };
  }

  /** Awaits the publication: its reply comes once stored, with the position. */
  @SocketAction('publish')
  publish(@Data() tick: Tick): Promise<StreamPosition> {
    return this.ticks.publish(tick);
  }

  @SocketAction('subscriptions')
  subscriptions(@Connection() connection: SocketConnection): string[] {
    return connection.subscriptions;
  }

  /** Publishes `count` ticks in a row, without awaiting (as code holding a plain `Channel` does). */
  @SocketAction('burst')
  burst(@Data('count') count: number): number {
    for (let n = 1; n <= count; n++) void this.ticksAsPlain.publish({ n });
    return count;
  }
}

/** Publish-on-call: an async method's call resolves once stored; a sync one returns at once. */
@Injectable()
class Scores {
  @SocketChannel('scores', { history: { size: 100, ttl: 60_000 } })
  async score(@Data('points') points = 0) {
    await sleep(1);
    return { points };
  }

  @SocketChannel('goals', { history: { size: 100, ttl: 60_000 } })
  goal(@Data('minute') minute = 0) {
    return { minute };
  }
}

const cleanup = useCleanup();

async function startTicks(port = 0): Promise<TestApp> {
  return cleanup.track(
    await startApp(
      { imports: [SocketApiModule.forRoot({ heartbeat: false })], providers: [Ticks, Scores] },
      undefined,
      'express',
      port,
    ),
  );
}

async function client(app: TestApp): Promise<TestClient> {
  const ws = await TestClient.open(app.url);
  cleanup.add(() => ws.socket.terminate());
  return ws;
}

/** Publishes `count` ticks through the action, one after the other, and returns the positions. */
async function publishTicks(ws: TestClient, from: number, count: number): Promise<StreamPosition[]> {
  const positions: StreamPosition[] = [];
  for (let n = from; n < from + count; n++) {
    ws.send({ type: 'action', channel: 'publish', data: { n }, id: `p${n}` });
    await ws.waitFor(() => ws.frames.some((frame) => (frame as { id?: string }).id === `p${n}`));
    const index = ws.frames.findIndex((frame) => (frame as { id?: string }).id === `p${n}`);
    const [reply] = ws.frames.splice(index, 1) as [{ data: StreamPosition }];
    positions.push(reply.data);
  }
  return positions;
}

const data = (offset: number, n = offset) => ({ type: 'data', channel: 'ticks', data: { n }, offset });

describe('history on one instance', () => {
  it('subscribed carries offset 0 and an epoch; the initial data has no offset; publications get offsets +1', async () => {
    const app = await startTicks();
    const ws = await client(app);
    ws.send({ type: 'subscribe', channel: 'ticks', id: 1 });
    const [subscribed, initial] = (await ws.next(2)) as [Record<string, unknown>, unknown];
    expect(subscribed).toEqual({ type: 'subscribed', channel: 'ticks', offset: 0, epoch: expect.any(String), id: 1 });
    expect(initial).toEqual({ type: 'data', channel: 'ticks', data: { welcome: true } });

    const publisher = await client(app);
    const positions = await publishTicks(publisher, 1, 3);
    expect(positions.map((p) => p.offset)).toEqual([1, 2, 3]);
    const epoch = positions[0].epoch;
    expect(positions.every((p) => p.epoch === epoch)).toBe(true);
    expect(epoch).not.toBe(subscribed.epoch); // the stream was born after the subscribe
    // The channel's birth is announced (the new epoch), then the publications in order.
    expect(await ws.next(4)).toEqual([
      { type: 'subscribed', channel: 'ticks', offset: 0, epoch, recovered: true },
      data(1),
      data(2),
      data(3),
    ]);

    // A later subscriber gets the current top.
    const late = await client(app);
    late.send({ type: 'subscribe', channel: 'ticks', id: 'late' });
    expect(await late.next(2)).toEqual([
      { type: 'subscribed', channel: 'ticks', offset: 3, epoch, id: 'late' },
      { type: 'data', channel: 'ticks', data: { welcome: true } },
    ]);
  });

  it('recover inside the window: recovered:true, the missed publications in order before any later frame, no initial data', async () => {
    const app = await startTicks();
    const publisher = await client(app);
    const ws = await client(app);
    ws.send({ type: 'subscribe', channel: 'ticks', id: 1 });
    await ws.next(2);
    const [, , , , fifth] = await publishTicks(publisher, 1, 5);
    await ws.waitFor(() => ws.frames.length === 6); // adoption notice + 5 data frames
    ws.socket.terminate();

    await publishTicks(publisher, 6, 5); // size 5: exactly 6…10 are kept
    const back = await client(app);
    back.send({ type: 'subscribe', channel: 'ticks', recover: fifth, id: 2 });
    publisher.send({ type: 'action', channel: 'publish', data: { n: 11 }, id: 'racing' });
    expect(await back.next(7)).toEqual([
      { type: 'subscribed', channel: 'ticks', offset: 10, epoch: fifth.epoch, recovered: true, id: 2 },
      data(6),
      data(7),
      data(8),
      data(9),
      data(10),
      data(11),
    ]);
  });

  it('recover outside the window: recovered:false, nothing replayed, the initial data', async () => {
    const app = await startTicks();
    const publisher = await client(app);
    const [first, , , , , , seventh] = await publishTicks(publisher, 1, 7);
    /** Every frame a resubscribe with `recover` gets. */
    const outcome = async (recover: unknown) => {
      const ws = await client(app);
      ws.send({ type: 'subscribe', channel: 'ticks', recover, id: 'r' });
      await ws.next(1).then((frames) => ws.frames.unshift(...frames));
      await sleep(50);
      return ws.frames.splice(0);
    };
    const refused = (top: StreamPosition) => [
      { type: 'subscribed', channel: 'ticks', offset: top.offset, epoch: top.epoch, recovered: false, id: 'r' },
      { type: 'data', channel: 'ticks', data: { welcome: true } },
    ];
    // Offsets 3…7 are kept: 1 would need 2, which is gone.
    expect(await outcome(first)).toEqual(refused(seventh));
    expect(await outcome({ offset: 2, epoch: first.epoch })).toEqual([
      { type: 'subscribed', channel: 'ticks', offset: 7, epoch: first.epoch, recovered: true, id: 'r' },
      data(3),
      data(4),
      data(5),
      data(6),
      data(7),
    ]);
    expect(await outcome({ offset: 7, epoch: 'another.epoch' })).toEqual(refused(seventh));
    expect(await outcome({ offset: 8, epoch: first.epoch })).toEqual(refused(seventh));
    expect(await outcome({ offset: 3, epoch: `~nobody~${Date.now().toString(36)}` })).toEqual(refused(seventh));

    // ttl 1000 ms after the last publication: the entries are gone, the top and epoch remain.
    await sleep(1100);
    expect(await outcome({ offset: 6, epoch: first.epoch })).toEqual(refused(seventh));
    expect(await outcome(seventh)).toEqual([
      { type: 'subscribed', channel: 'ticks', offset: 7, epoch: first.epoch, recovered: true, id: 'r' },
    ]);
  });

  it('the empty-stream token: subscribed before any publication, away for the first ones, recovered', async () => {
    const app = await startTicks();
    const ws = await client(app);
    ws.send({ type: 'subscribe', channel: 'ticks', id: 1 });
    const [subscribed] = (await ws.next(2)) as [{ offset: number; epoch: string }];
    ws.socket.terminate();

    const publisher = await client(app);
    const [one] = await publishTicks(publisher, 1, 2);
    const back = await client(app);
    back.send({ type: 'subscribe', channel: 'ticks', recover: { offset: 0, epoch: subscribed.epoch }, id: 2 });
    expect(await back.next(3)).toEqual([
      { type: 'subscribed', channel: 'ticks', offset: 2, epoch: one.epoch, recovered: true, id: 2 },
      data(1),
      data(2),
    ]);

    // A channel never published to: the token recovers, with nothing to replay.
    const quiet = await client(app);
    quiet.send({ type: 'subscribe', channel: 'scores', id: 3 });
    const [token] = (await quiet.next(1)) as [StreamPosition];
    quiet.socket.terminate();
    const again = await client(app);
    again.send({ type: 'subscribe', channel: 'scores', recover: { offset: 0, epoch: token.epoch }, id: 4 });
    expect(await again.next(1)).toEqual([
      { type: 'subscribed', channel: 'scores', offset: 0, epoch: expect.stringMatching(/^~/), recovered: true, id: 4 },
    ]);
  });

  it('a restarted process is another history: its epoch changes and the client is told it cannot recover', async () => {
    const app = await startTicks();
    const publisher = await client(app);
    const [, second] = await publishTicks(publisher, 1, 2);
    const port = Number(new URL(app.url).port);
    await app.close();

    const restarted = await startTicks(port);
    const ws = await client(restarted);
    ws.send({ type: 'subscribe', channel: 'ticks', recover: second, id: 1 });
    const [subscribed, initial] = (await ws.next(2)) as [{ epoch: string }, unknown];
    expect(subscribed).toEqual({
      type: 'subscribed',
      channel: 'ticks',
      offset: 0,
      epoch: expect.any(String),
      recovered: false,
      id: 1,
    });
    expect(subscribed.epoch).not.toBe(second.epoch);
    expect(initial).toEqual({ type: 'data', channel: 'ticks', data: { welcome: true } });
  });

  it('recover on a channel without history: recovered:false without a position; a bad recover: INVALID_MESSAGE', async () => {
    const app = await startTicks();
    const ws = await client(app);
    ws.send({ type: 'subscribe', channel: 'plain', recover: { offset: 1, epoch: 'e' }, id: 1 });
    expect(await ws.next(2)).toEqual([
      { type: 'subscribed', channel: 'plain', recovered: false, id: 1 },
      { type: 'data', channel: 'plain', data: { hello: 1 } },
    ]);
    ws.send({ type: 'subscribe', channel: 'ticks', recover: { offset: 1.5, epoch: 'e' }, id: 2 });
    expect(await ws.next(1)).toEqual([
      {
        type: 'error',
        code: 'INVALID_MESSAGE',
        message: 'recover must be {"offset": an integer ≥ 0, "epoch": a string}',
        channel: 'ticks',
        id: 2,
      },
    ]);
  });

  it('publications not awaited still go out in order, each once, to subscribers joining meanwhile', async () => {
    const app = await startTicks();
    const watcher = await client(app);
    watcher.send({ type: 'subscribe', channel: 'ticks', id: 1 });
    await watcher.next(2);
    const publisher = await client(app);
    publisher.send({ type: 'action', channel: 'burst', data: { count: 50 }, id: 'b' });
    const joiners = await Promise.all([client(app), client(app)]);
    for (const joiner of joiners) joiner.send({ type: 'subscribe', channel: 'ticks', id: 'j' });
    // The watcher: the adoption notice, then offsets 1…50 exactly.
    await watcher.waitFor(() => watcher.frames.length === 51);
    expect((watcher.frames.slice(1) as { offset: number }[]).map((f) => f.offset)).toEqual(
      Array.from({ length: 50 }, (_, i) => i + 1),
    );
    for (const joiner of joiners) {
      const [subscribed] = (await joiner.next(2)) as [{ offset: number }];
      await joiner.waitFor(() => joiner.frames.length === 50 - subscribed.offset);
      const offsets = (joiner.frames as { offset: number }[]).map((f) => f.offset);
      expect(offsets).toEqual(Array.from({ length: 50 - subscribed.offset }, (_, i) => subscribed.offset + i + 1));
    }
  });

  it('publish-on-call: an async method resolves once stored; a synchronous one returns its value at once', async () => {
    const app = await startTicks();
    const ws = await client(app);
    ws.send({ type: 'subscribe', channel: 'scores', id: 1 });
    ws.send({ type: 'subscribe', channel: 'goals', id: 2 });
    await ws.next(2);
    const scores = app.app.get(Scores);
    const stored = scores.score(3);
    expect(stored).toBeInstanceOf(Promise);
    expect(ws.frames).toEqual([]);
    await expect(stored).resolves.toEqual({ points: 3 });
    expect(scores.goal(90)).toEqual({ minute: 90 });
    await ws.waitFor(() => ws.frames.length === 4);
    expect(ws.frames).toEqual([
      expect.objectContaining({ type: 'subscribed', channel: 'scores', recovered: true }),
      { type: 'data', channel: 'scores', data: { points: 3 }, offset: 1 },
      expect.objectContaining({ type: 'subscribed', channel: 'goals', recovered: true }),
      { type: 'data', channel: 'goals', data: { minute: 90 }, offset: 1 },
    ]);
  });
});

/** A broker whose history store is down (rejects) or hung (reads never answer), recording what it is told to listen to. */
class BrokenStoreBroker implements SocketApiBroker {
  readonly watched: string[] = [];
  readonly unwatched: string[] = [];
  readonly history: HistoryStore;

  constructor(reads: 'fail' | 'hang') {
    const unavailable = () => Promise.reject(new HistoryUnavailableError('store down (test)'));
    this.history = {
      append: unavailable,
      read: () => (reads === 'fail' ? unavailable() : new Promise<HistoryRead>(() => undefined)),
      touch: unavailable,
    };
  }

  async connect(): Promise<void> {}
  publish(): void {}
  watch(name: string): void {
    this.watched.push(name);
  }
  unwatch(name: string): void {
    this.unwatched.push(name);
  }
  async close(): Promise<void> {}
}

describe('history options', () => {
  it('a bad history option is a startup error naming the method', async () => {
    @Injectable()
    class Misdeclared {
      @SocketChannel('rooms', { history: { size: 0, ttl: 1000 } })
      rooms() {}
    }
    await expect(
      startApp({ imports: [SocketApiModule.forRoot({ heartbeat: false })], providers: [Misdeclared] }),
    ).rejects.toThrow(
      "Misdeclared.rooms(): channel 'rooms': history.size must be an integer from 1 to 100000 (got 0).",
    );
  });
});

describe('history while the store cannot be reached', () => {
  async function startBroken(reads: 'fail' | 'hang'): Promise<{ app: TestApp; broker: BrokenStoreBroker }> {
    const broker = new BrokenStoreBroker(reads);
    const app = cleanup.track(
      await startApp({
        imports: [SocketApiModule.forRoot({ heartbeat: false, broker })],
        providers: [Ticks],
      }),
    );
    return { app, broker };
  }

  it('a subscribe is UNAVAILABLE and leaves the client in nothing; an awaited publication is UNAVAILABLE', async () => {
    const { app, broker } = await startBroken('fail');
    const ws = await client(app);
    ws.send({ type: 'subscribe', channel: 'ticks', recover: { offset: 3, epoch: 'e' }, id: 1 });
    ws.send({ type: 'action', channel: 'subscriptions', id: 2 });
    ws.send({ type: 'action', channel: 'publish', data: { n: 1 }, id: 3 });
    expect(await ws.next(3)).toEqual([
      { type: 'error', code: 'UNAVAILABLE', message: 'Service temporarily unavailable.', channel: 'ticks', id: 1 },
      { type: 'action', channel: 'subscriptions', status: 'completed', data: [], id: 2 },
      { type: 'error', code: 'UNAVAILABLE', message: 'Service temporarily unavailable.', channel: 'publish', id: 3 },
    ]);
    expect([broker.watched, broker.unwatched]).toEqual([['ticks'], ['ticks']]);
  });

  it('a publication nobody awaits fails without an unhandled rejection', async () => {
    const { app } = await startBroken('fail');
    const unhandled: unknown[] = [];
    const onUnhandled = (reason: unknown) => unhandled.push(reason);
    process.on('unhandledRejection', onUnhandled);
    cleanup.add(() => process.off('unhandledRejection', onUnhandled));
    const ws = await client(app);
    ws.send({ type: 'action', channel: 'burst', data: { count: 3 }, id: 1 });
    expect(await ws.next(1)).toEqual([{ type: 'action', channel: 'burst', status: 'completed', data: 3, id: 1 }]);
    await sleep(100);
    expect(unhandled).toEqual([]);
  });

  it('a client that leaves while its subscribe reads the store is in nothing, and its subscribe ends', async () => {
    const { app, broker } = await startBroken('hang');
    const ws = await client(app);
    ws.send({ type: 'subscribe', channel: 'ticks', id: 1 });
    const stream = app.app.get(ChannelHub).get('ticks').stream!;
    await waitFor(() => stream.pendingCount === 1, { timeoutMs: 2000, what: 'the subscriber parked' });
    expect(broker.watched).toEqual(['ticks']);
    ws.socket.terminate();
    await ws.closed();
    await sleep(50);
    expect([stream.pendingCount, broker.unwatched]).toEqual([0, ['ticks']]);
  });
});

/**
 * The memory store with a clock the test moves, behind a broker that can lose the live delivery of chosen
 * offsets (as a pub/sub message can be lost): what the channel's stream repairs.
 */
class LossyClockBroker implements SocketApiBroker {
  readonly clock = { ms: Date.now() };
  /** Offsets stored but not delivered live. */
  readonly lose = new Set<number>();
  readonly history: MemoryHistoryStore;
  private sink?: StreamSink;

  constructor() {
    const deliver = (channel: string, data: string, position: StreamPosition) => {
      if (!this.lose.delete(position.offset)) this.sink?.stored(channel, data, position);
    };
    this.history = new MemoryHistoryStore({ stored: deliver }, () => this.clock.ms);
  }

  async connect(_deliver: unknown, sink?: StreamSink): Promise<void> {
    this.sink = sink;
  }
  publish(): void {}
  watch(): void {}
  unwatch(): void {}
  async close(): Promise<void> {}
}

describe('live delivery repaired from the store', () => {
  async function subscribed(): Promise<{ app: TestApp; broker: LossyClockBroker; ws: TestClient }> {
    const broker = new LossyClockBroker();
    const app = cleanup.track(
      await startApp({ imports: [SocketApiModule.forRoot({ heartbeat: false, broker })], providers: [Ticks] }),
    );
    const ws = await client(app);
    ws.send({ type: 'subscribe', channel: 'ticks', id: 1 });
    await ws.next(2);
    return { app, broker, ws };
  }

  it('a publication whose live delivery was lost is filled in from the store, in order', async () => {
    const { app, broker, ws } = await subscribed();
    const publisher = await client(app);
    broker.lose.add(2);
    const [first] = await publishTicks(publisher, 1, 3);
    expect(await ws.next(4)).toEqual([
      { type: 'subscribed', channel: 'ticks', offset: 0, epoch: first.epoch, recovered: true },
      data(1),
      data(2),
      data(3),
    ]);
  });

  it('a history lost under a live subscriber (epoch changed): it is told, with its new position', async () => {
    const { app, broker, ws } = await subscribed();
    const publisher = await client(app);
    const [first] = await publishTicks(publisher, 1, 2);
    await ws.next(3);
    broker.clock.ms += 3_600_000; // metaTtl (the default: max(ttl, 1 h)) with nobody touching it
    const [reborn] = await publishTicks(publisher, 3, 2);
    expect(reborn).toEqual({ offset: 1, epoch: expect.not.stringMatching(first.epoch) });
    expect(await ws.next(2)).toEqual([
      { type: 'subscribed', channel: 'ticks', offset: 1, epoch: reborn.epoch, recovered: false },
      data(2, 4),
    ]);
  });
});
