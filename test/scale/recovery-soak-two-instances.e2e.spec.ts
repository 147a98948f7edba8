import 'reflect-metadata';
import { seededRandom } from '../client/support/chaos-proxy.js';
import { useCleanup } from '../support/cleanup.js';
import { RecoveryChecker, type StreamFrame } from '../support/recovery-checker.js';
import { describeWithRedis, RedisServer } from '../support/redis-server.js';
import type { TestApp } from '../support/test-app.js';
import { sleep } from '../support/wait.js';
import { TestClient } from '../support/ws-client.js';
import { ROOM_HISTORY_SIZE, Rooms, startRoomsInstance } from './rooms-app.js';

/**
 * The seeded recovery soak across two instances on a real redis-server: clients of `rooms/:roomId`
 * (history of 50, presence) drop and come back with `recover` on either instance at random, some
 * within the history window, some after it, while both instances publish to every room on every turn
 * of their event loop (so publications race every resubscribe). Per client: no publication lost or
 * repeated across every `recovered:true`; `recovered:false` (nothing replayed, the initial data) only
 * when its position had left the window; offsets +1 across the instances.
 *
 * Short in CI; `REDIS_RECOVERY_SOAK_MS=120000` for a long run, `SOAK_SEED=<n>` to replay one (the
 * seed is in the test's name and in every failure).
 */
const SEED = Number(process.env.SOAK_SEED ?? Math.floor(Math.random() * 2 ** 31));
const DURATION_MS = Number(process.env.REDIS_RECOVERY_SOAK_MS ?? 5000);
const ROOMS = ['r1', 'r2', 'r3'];
const CLIENTS = 12;
/** Publications per second to each room: the window (50) is 0.5 s; away ≤ 100 ms is inside it, ≥ 1.5 s after it. */
const RATE = 100;

type Frame = StreamFrame<{ tag?: string; initial?: string }>;

/** One client's view across its connections (to either instance): what it got, checked against the publishers' record at the end. */
class SoakClient extends RecoveryChecker<{ tag?: string; initial?: string }> {
  /** Every publication it got, `offset → tag`. */
  readonly received: Array<{ offset: number; tag: string }> = [];

  constructor(
    readonly index: number,
    readonly room: string,
  ) {
    super(ROOM_HISTORY_SIZE, `client ${index} (${room})`);
  }

  protected publication(offset: number, data: { tag?: string } | undefined): void {
    this.received.push({ offset, tag: data?.tag ?? '' });
  }

  protected isInitialData(data: { initial?: string } | undefined): boolean {
    return data?.initial === this.room;
  }
}

describeWithRedis(
  `recovery soak across two instances on Redis (seed ${SEED}, ${DURATION_MS} ms; replay with SOAK_SEED=${SEED})`,
  () => {
    const cleanup = useCleanup();
    let redis: RedisServer;
    beforeAll(async () => (redis = await RedisServer.start()));
    afterAll(() => redis?.stop());

    it(
      'no publication lost or repeated across recoveries on either instance; recovered:false only outside the window',
      async () => {
        const options = { redisUrl: redis.url, prefix: 'soak' };
        const instances: TestApp[] = [
          cleanup.track(await startRoomsInstance(options)),
          cleanup.track(await startRoomsInstance(options)),
        ];
        const random = seededRandom(SEED);
        const open: TestClient[] = [];
        cleanup.add(() => open.forEach((ws) => ws.socket.terminate()));

        // The publishers: each instance publishes to each room, in turn, as many as the rate allows by now.
        const stored = new Map<string, Map<number, string>>(ROOMS.map((room) => [room, new Map()]));
        const problems: string[] = [];
        const published = new Map(ROOMS.map((room) => [room, 0]));
        let pending = 0;
        let publishing = true;
        const started = Date.now();
        const publish = () => {
          if (!publishing) return;
          const due = Math.floor(((Date.now() - started) * RATE) / 1000);
          for (const room of ROOMS) {
            while (published.get(room)! < due) {
              const k = published.get(room)! + 1;
              published.set(room, k);
              const instance = instances[k % 2];
              const tag = `${k % 2 ? 'B' : 'A'}-${k}`;
              pending++;
              void instance.app
                .get(Rooms)
                .publish(room, { tag })
                .then(
                  (position) => {
                    const offsets = stored.get(room)!;
                    if (offsets.has(position.offset)) problems.push(`${room}: offset ${position.offset} given twice`);
                    offsets.set(position.offset, tag);
                  },
                  (error: unknown) => problems.push(`${room}: ${tag} failed: ${String(error)}`),
                )
                .finally(() => pending--);
            }
          }
          setImmediate(publish);
        };

        /** One connection to a random instance: subscribe (recovering if it has a position), stay, drop. */
        const session = async (client: SoakClient, ms: number, until?: (frames: Frame[]) => boolean) => {
          const instance = instances[random() < 0.5 ? 0 : 1];
          const ws = await TestClient.open(`${instance.url}/?name=c${client.index}`);
          open.push(ws);
          const asked = client.position;
          ws.send({ type: 'subscribe', channel: `rooms/${client.room}`, recover: asked, id: 1 });
          if (until) await ws.waitFor(() => until(ws.frames as Frame[]), { timeoutMs: 15_000 });
          else await sleep(ms);
          ws.socket.terminate();
          client.check(ws.frames as Frame[], asked);
        };

        const clients = Array.from({ length: CLIENTS }, (_, i) => new SoakClient(i, ROOMS[i % ROOMS.length]));
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
        while (pending > 0) await sleep(10);
        // Everyone comes back once more (to either instance) and catches up to its room's last publication.
        const last = (room: string) => Math.max(0, ...stored.get(room)!.keys());
        await Promise.all(
          clients.map((client) =>
            session(client, 0, (frames) =>
              frames.some(
                (f) =>
                  (f.offset === last(client.room) && f.type === 'data') ||
                  (f.id !== undefined && f.offset === last(client.room)),
              ),
            ),
          ),
        );

        // Offsets +1 across the instances: each room's publications hold 1..n, each once.
        for (const room of ROOMS) {
          const offsets = [...stored.get(room)!.keys()].sort((x, y) => x - y);
          if (offsets.length !== published.get(room) || offsets.some((offset, i) => offset !== i + 1)) {
            problems.push(`${room}: offsets ${offsets.length} of ${published.get(room)}, not 1..n`);
          }
        }
        // Every publication a client got is the one stored at that offset (not another instance's twin).
        for (const client of clients) {
          for (const { offset, tag } of client.received) {
            if (stored.get(client.room)!.get(offset) !== tag) client.fail(`offset ${offset} carried ${tag}`);
          }
        }
        const violations = clients.flatMap((client) => client.violations);
        const recovered = clients.reduce((sum, client) => sum + client.recovered, 0);
        const notRecovered = clients.reduce((sum, client) => sum + client.notRecovered, 0);
        const total = [...published.values()].reduce((sum, n) => sum + n, 0);
        const summary = `seed ${SEED}: ${total} publications from 2 instances to ${ROOMS.length} rooms, ${recovered} recovered, ${notRecovered} not recovered`;
        console.log(summary);
        expect({ summary, violations, problems }).toEqual({ summary, violations: [], problems: [] });
        for (const client of clients) {
          expect({ summary, client: client.index, position: client.position?.offset }).toEqual({
            summary,
            client: client.index,
            position: last(client.room),
          });
        }
        // Both outcomes happened: the soak proved something about each.
        expect({ summary, recovered: recovered > 0, notRecovered: notRecovered > 0 }).toEqual({
          summary,
          recovered: true,
          notRecovered: true,
        });
      },
      DURATION_MS + 60_000,
    );
  },
);
