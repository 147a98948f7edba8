import 'reflect-metadata';
import { Injectable } from '@nestjs/common';
import { MemoryHistoryStore } from '../../lib/channels/memory-history-store.js';
import {
  HistoryChannel,
  InjectChannel,
  SocketApiModule,
  SocketChannel,
  type HistoryStore,
  type RemoteDelivery,
  type SocketApiBroker,
  type StreamSink,
} from '../../lib/index.js';
import { seededRandom } from '../client/support/chaos-proxy.js';
import { useCleanup } from '../support/cleanup.js';
import { RecoveryChecker, type StreamFrame } from '../support/recovery-checker.js';
import { startApp, type TestApp } from '../support/test-app.js';
import { sleep } from '../support/wait.js';
import { TestClient } from '../support/ws-client.js';

/**
 * The seeded recovery soak: 20 clients drop and resubscribe with `recover` at random, some back
 * within the history window, some after it, while a publisher publishes on every turn of the event
 * loop (so publications race every resubscribe). Per client: no publication lost or repeated across
 * every `recovered:true`, and `recovered:false` only when its position had left the window.
 *
 * Short in CI; `RECOVERY_SOAK_MS=60000` for a long run, `SOAK_SEED=<n>` to replay one (the seed is in
 * the test's name and in every failure).
 */
const SEED = Number(process.env.SOAK_SEED ?? Math.floor(Math.random() * 2 ** 31));
const DURATION_MS = Number(process.env.RECOVERY_SOAK_MS ?? 5000);
const CLIENTS = 20;
/** The history window: publications kept. */
const SIZE = 500;
/** Publications per second: the window is 1 s; a client away ≤ 100 ms comes back inside it, one away ≥ 1.5 s after it. */
const RATE = 500;

interface Feed {
  n: number;
}

@Injectable()
class FeedChannel {
  constructor(@InjectChannel('feed') readonly feed: HistoryChannel<Feed>) {}

  @SocketChannel('feed', { history: { size: SIZE, ttl: 60_000 }, initialData: true })
  subscribeFeed() {
    return { initial: true };
  }
}

type Frame = StreamFrame<{ n?: number; initial?: boolean }>;

/** One client's view across its connections: each publication carries its offset as `n`. */
class SoakClient extends RecoveryChecker<{ n?: number; initial?: boolean }> {
  constructor(index: number) {
    super(SIZE, `client ${index}`);
  }

  protected publication(offset: number, data: { n?: number } | undefined): void {
    if (data?.n !== offset) this.fail(`offset ${offset} carries ${JSON.stringify(data)}`);
  }

  protected isInitialData(data: { initial?: boolean } | undefined): boolean {
    return data?.initial === true;
  }
}

/**
 * The memory store behind reads (and subscriptions) that answer 0–20 ms late, as a shared store's
 * do: publications then fall between a subscriber's read and its answer, and must come from its buffer.
 */
class SlowReadsBroker implements SocketApiBroker {
  readonly history: HistoryStore;
  private sink?: StreamSink;

  constructor(private readonly random: () => number) {
    const store = new MemoryHistoryStore({ stored: (...publication) => this.sink?.stored(...publication) });
    this.history = {
      append: (channel, data, limits) => store.append(channel, data, limits),
      read: async (channel, since, limits) => {
        const read = await store.read(channel, since, limits);
        await sleep(random() * 20);
        return read;
      },
      touch: (channel, limits) => store.touch(channel, limits),
    };
  }

  async connect(_deliver: RemoteDelivery, sink?: StreamSink): Promise<void> {
    this.sink = sink;
  }

  listening(): Promise<void> {
    return sleep(this.random() * 5);
  }

  publish(): void {}
  watch(): void {}
  unwatch(): void {}
  async close(): Promise<void> {}
}

const cleanup = useCleanup();

describe.each([
  ['the memory store', () => undefined],
  ['a store whose reads answer late', () => new SlowReadsBroker(seededRandom(SEED + 1))],
])(`recovery soak with %s (seed ${SEED}, ${DURATION_MS} ms; replay with SOAK_SEED=${SEED})`, (_store, broker) => {
  it(
    'no publication lost or repeated across recoveries; recovered:false only outside the window',
    async () => {
      const app: TestApp = cleanup.track(
        await startApp({
          imports: [SocketApiModule.forRoot({ heartbeat: false, broker: broker() })],
          providers: [FeedChannel],
        }),
      );
      const random = seededRandom(SEED);
      const { feed } = app.app.get(FeedChannel);
      const open: TestClient[] = [];
      cleanup.add(() => open.forEach((ws) => ws.socket.terminate()));

      // The publisher: on every turn of the event loop, as many as the rate allows by now.
      let published = 0;
      const misnumbered: number[] = [];
      let publishing = true;
      const started = Date.now();
      const publish = () => {
        if (!publishing) return;
        const due = Math.floor(((Date.now() - started) * RATE) / 1000);
        while (published < due) {
          const n = ++published;
          void feed.publish({ n }).then((position) => {
            if (position.offset !== n) misnumbered.push(n);
          });
        }
        setImmediate(publish);
      };

      /** One connection: subscribe (recovering if it has a position), stay `ms`, drop. */
      const session = async (client: SoakClient, ms: number, until?: (frames: Frame[]) => boolean): Promise<void> => {
        const ws = await TestClient.open(app.url);
        open.push(ws);
        const asked = client.position;
        ws.send({ type: 'subscribe', channel: 'feed', recover: asked, id: 1 });
        if (until) await ws.waitFor(() => until(ws.frames as Frame[]), { timeoutMs: 10_000 });
        else await sleep(ms);
        ws.socket.terminate();
        client.check(ws.frames as Frame[], asked);
      };

      const clients = Array.from({ length: CLIENTS }, (_, index) => new SoakClient(index));
      const deadline = started + DURATION_MS;
      setImmediate(publish);
      await Promise.all(
        clients.map(async (client) => {
          while (Date.now() < deadline) {
            await session(client, 20 + random() * 300);
            // Half come back inside the window, half after it.
            await sleep(random() < 0.5 ? 5 + random() * 95 : 1500 + random() * 1000);
          }
        }),
      );
      publishing = false;
      const last = published;
      // Everyone comes back once more and catches up to the last publication.
      const reached = (frames: Frame[]) => frames.some((f) => f.offset === last && f.type === 'data');
      const caughtUp = (frames: Frame[]) =>
        reached(frames) || frames.some((f) => f.id !== undefined && f.offset === last);
      await Promise.all(clients.map((client) => session(client, 0, caughtUp)));

      const violations = clients.flatMap((client) => client.violations);
      const recovered = clients.reduce((sum, client) => sum + client.recovered, 0);
      const notRecovered = clients.reduce((sum, client) => sum + client.notRecovered, 0);
      const declaredLost = clients.reduce((sum, client) => sum + client.declaredLost, 0);
      const summary =
        `seed ${SEED}: ${last} publications, ${recovered} recovered, ${notRecovered} not recovered ` +
        `(${declaredLost} publications declared lost to them)`;
      expect({ summary, violations, misnumbered }).toEqual({ summary, violations: [], misnumbered: [] });
      for (const client of clients)
        expect({ summary, position: client.position?.offset }).toEqual({ summary, position: last });
      // Both outcomes happened: the soak proved something about each.
      expect({ summary, recovered: recovered > 0, notRecovered: notRecovered > 0 }).toEqual({
        summary,
        recovered: true,
        notRecovered: true,
      });
    },
    DURATION_MS + 60_000,
  );
});
