import 'reflect-metadata';
import { Injectable } from '@nestjs/common';
import { ChannelHub } from '../../lib/channels/channel-hub.js';
import type { MemoryPresenceStore } from '../../lib/channels/memory-presence-store.js';
import { HistoryChannelFamily, ChannelParam, InjectChannel, SocketApiModule, SocketChannel } from '../../lib/index.js';
import { useCleanup } from '../support/cleanup.js';
import { forceGc } from '../support/force-gc.js';
import { startApp } from '../support/test-app.js';
import { waitFor } from '../support/wait.js';
import { TestClient } from '../support/ws-client.js';

/**
 * The million-rooms test of a pattern with history and presence (memory stores, one instance): one
 * client subscribing to distinct rooms one after another (and leaving each) leaves no per-room state
 * (no live channel, no presence channel, no history stream but for the rooms published to, and those
 * only until their meta TTL), and the heap stays bounded. 100,000 rooms by default (10–20 s); `HISTORY_ROOMS=<n>` for more.
 */

const ROOMS = Number(process.env.HISTORY_ROOMS ?? 100_000);
/** Subscribe + unsubscribe pairs sent without waiting: 500 frames, under the default `maxPendingMessages` (1,024). */
const BATCH = 250;
const META_TTL_MS = 2000;
const MiB = 1024 * 1024;

@Injectable()
class Rooms {
  constructor(
    @InjectChannel('rooms/:roomId') readonly rooms: HistoryChannelFamily<{ n: number }, { roomId: string }>,
  ) {}

  @SocketChannel('rooms/:roomId', {
    history: { size: 10, ttl: 1000, metaTtl: META_TTL_MS },
    presence: { joinLeave: true },
  })
  room(@ChannelParam('roomId') roomId: string) {
    return roomId;
  }
}

const cleanup = useCleanup();

describe(`${ROOMS.toLocaleString('en')} distinct rooms of a pattern with history and presence`, () => {
  it('no live channel, no presence channel, history only for the rooms published to (until their meta TTL), the heap bounded', async () => {
    const gc = forceGc();
    const t = cleanup.track(
      await startApp({ imports: [SocketApiModule.forRoot({ heartbeat: false })], providers: [Rooms] }),
    );
    const hub = t.app.get(ChannelHub);
    const presence = hub.presenceStore as MemoryPresenceStore;
    // The hub's own MemoryHistoryStore (no broker): its stream count is private, read here as the test's window on it.
    const streams = () => (hub as unknown as { history: { streams: Map<string, unknown> } }).history.streams.size;
    const { rooms } = t.app.get(Rooms);
    const client = await TestClient.open(t.url);
    cleanup.add(() => client.socket.terminate());
    let heapAt20 = 0;
    let published = 0;
    const started = Date.now();
    for (let first = 0; first < ROOMS; first += BATCH) {
      for (let room = first; room < first + BATCH; room++) {
        client.send(`{"type":"subscribe","channel":"rooms/${room}"}`);
        client.send(`{"type":"unsubscribe","channel":"rooms/${room}"}`);
      }
      await client.waitFor(() => client.frames.length === 2 * BATCH, { timeoutMs: 30_000 });
      const last = client.frames[2 * BATCH - 1] as { type: string; channel: string };
      expect(last).toEqual({ type: 'unsubscribed', channel: `rooms/${first + BATCH - 1}` });
      const subscribed = client.frames[0] as { type: string; offset?: number; epoch?: string };
      expect(subscribed).toMatchObject({ type: 'subscribed', channel: `rooms/${first}`, offset: 0 });
      client.frames.length = 0;
      // One room of each batch is published to (while nobody is in it): its stream is kept, the others get none.
      // A handle of a history pattern is a HistoryChannel at runtime: its publish resolves once stored.
      await rooms.to({ roomId: String(first) }).publish({ n: first });
      published++;
      if (first + BATCH === ROOMS / 5) heapAt20 = settledHeap(gc);
    }
    const elapsed = Date.now() - started;
    expect(hub.live.size).toBe(0);
    expect(presence.channelCount).toBe(0);
    // Streams of rooms published to in the last meta TTL (the run may outlast it: earlier ones are gone).
    expect(streams()).toBeGreaterThan(0);
    expect(streams()).toBeLessThanOrEqual(published);
    const growth = settledHeap(gc) - heapAt20;
    console.log(
      `${ROOMS} rooms with history + presence in ${elapsed} ms; ${streams()} streams of ${published} rooms published to ` +
        `kept; heap ${(growth / MiB).toFixed(2)} MiB over the last 80%`,
    );
    expect(growth).toBeLessThan(4 * MiB);
    // Their meta TTL passed, the sweeper forgets them all.
    await waitFor(() => streams() === 0, { timeoutMs: 3 * META_TTL_MS + 2000, intervalMs: 100 });
  }, 120_000);
});

/** Heap in use after full collections (`forceGc`'s: two, what the first one's sweep freed counted). */
function settledHeap(gc: () => void): number {
  gc();
  return process.memoryUsage().heapUsed;
}
