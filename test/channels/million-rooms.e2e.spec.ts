import 'reflect-metadata';
import { Injectable } from '@nestjs/common';
import { ChannelParam, SocketApiModule, SocketChannel } from '../../lib/index.js';
import { ChannelHub } from '../../lib/channels/channel-hub.js';
import { useCleanup } from '../support/cleanup.js';
import { forceGc } from '../support/force-gc.js';
import { startApp } from '../support/test-app.js';
import { TestClient } from '../support/ws-client.js';

/**
 * A concrete channel nobody is subscribed to costs nothing: one client subscribing to distinct rooms
 * one after another (and leaving each) must not grow the server's memory. 50,000 rooms by default (the
 * growth over the last 40,000: a leak of 53 bytes a room fails the 2 MiB bound, a channel kept the
 * exact count); `ROOMS_SOAK=1` runs 1,000,000.
 */

const ROOMS = process.env.ROOMS_SOAK === '1' ? 1_000_000 : 50_000;
/** Subscribe + unsubscribe pairs sent without waiting: 1,000 frames, under the default `maxPendingMessages` (1,024). */
const BATCH = 500;
const MiB = 1024 * 1024;

@Injectable()
class Rooms {
  @SocketChannel('rooms/:roomId')
  room(@ChannelParam('roomId') roomId: string) {
    return roomId;
  }
}

const cleanup = useCleanup();

describe(`${ROOMS.toLocaleString('en')} distinct rooms, one after another`, () => {
  it.each([1, 4])(
    'with concurrency %i: the heap does not grow and no concrete channel is kept',
    async (concurrency) => {
      const gc = forceGc();
      const t = cleanup.track(
        await startApp({
          imports: [SocketApiModule.forRoot({ heartbeat: false, concurrency })],
          providers: [Rooms],
        }),
      );
      const hub = t.app.get(ChannelHub);
      const client = await TestClient.open(t.url);
      cleanup.add(() => client.socket.terminate());
      let heapAt20 = 0;
      for (let first = 0; first < ROOMS; first += BATCH) {
        for (let room = first; room < first + BATCH; room++) {
          client.send(`{"type":"subscribe","channel":"rooms/${room}"}`);
          client.send(`{"type":"unsubscribe","channel":"rooms/${room}"}`);
        }
        // Each subscribe is answered `subscribed`, each unsubscribe `unsubscribed`: 2 frames per room.
        await client.waitFor(() => client.frames.length === 2 * BATCH, { timeoutMs: 30_000 });
        const last = client.frames[2 * BATCH - 1] as { type: string; channel: string };
        expect(last).toEqual({ type: 'unsubscribed', channel: `rooms/${first + BATCH - 1}` });
        client.frames.length = 0;
        if (first + BATCH === ROOMS / 5) heapAt20 = settledHeap(gc);
      }
      expect(hub.live.size).toBe(0);
      const growth = settledHeap(gc) - heapAt20;
      expect(growth).toBeLessThan(2 * MiB);
    },
    ROOMS === 50_000 ? 180_000 : 1_800_000,
  );
});

/** Heap in use after full collections (`forceGc`'s: two, what the first one's sweep freed counted). */
function settledHeap(gc: () => void): number {
  gc();
  return process.memoryUsage().heapUsed;
}
