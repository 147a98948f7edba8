import 'reflect-metadata';
import type { Socket } from 'node:net';
import { SocketApiModule } from '../../lib/index.js';
import { ProtocolService } from '../fixtures/protocol-app.js';
import { useCleanup } from '../support/cleanup.js';
import { forceGc } from '../support/force-gc.js';
import { startApp } from '../support/test-app.js';
import { TestClient } from '../support/ws-client.js';

const ROUNDS = 3000;
const OTHERS_PER_ROUND = 60;

/**
 * Replies are handed to ws as slices of Buffer's shared 8 KiB pool. One left waiting for a client that
 * does not read would keep its whole pool alive, filled with other clients' frames, while charged for
 * its own few bytes: a reply that joins a queue must hold only its own memory.
 */
describe('replies waiting for a client that reads nothing', () => {
  const cleanup = useCleanup();

  it(`${ROUNDS} small replies queued between other clients' replies keep no more than their own bytes`, async () => {
    const gc = forceGc();
    const app = cleanup.track(
      // A queue as large as the kernel's buffers may be (tcp_rmem's maximum is 32 MiB here), so that the
      // stalled client is not closed as a slow consumer before the kernel's buffers are full.
      await startApp({
        imports: [SocketApiModule.forRoot({ path: '/', maxBufferedBytes: 128 * 1024 * 1024 })],
        providers: [ProtocolService],
      }),
    );
    const other = cleanup.track(await TestClient.open(app.url));
    const stalled = cleanup.track(await TestClient.open(app.url));
    const stalledTcp = (stalled.socket as unknown as { _socket: Socket })._socket;
    stalledTcp.pause();
    // Reading again before it closes (cleanups run last added first), so that its close can complete.
    cleanup.add(() => stalledTcp.resume());
    // Large replies first (36 MB), until the kernel's buffers are full and the server's queue holds the rest.
    const large = 'x'.repeat(60_000);
    for (let id = 1; id <= 600; id++) stalled.send({ type: 'action', channel: 'echo', data: large, id });
    // The other client's replies fill more than a pool (8 KiB) between two of the stalled client's.
    const filler = 'y'.repeat(400);
    let id = 0;
    const othersRound = async () => {
      for (let i = 0; i < OTHERS_PER_ROUND; i++)
        other.send({ type: 'action', channel: 'echo', data: filler, id: ++id });
      await other.next(OTHERS_PER_ROUND);
    };
    await othersRound();
    gc();
    const before = process.memoryUsage().arrayBuffers;

    for (let round = 0; round < ROUNDS; round++) {
      stalled.send({ type: 'action', channel: 'echo', data: round, id: 1000 + round });
      await othersRound();
    }
    gc();
    const grown = process.memoryUsage().arrayBuffers - before;
    // Their own bytes are ~150 KB; each in a pool of its own, 3,000 × 8 KiB = 24 MiB (measured with every
    // reply a pool slice: 24 – 57 MB). The margin is for what else this process holds (a worker of the
    // whole suite runs other files too).
    expect(grown).toBeLessThan(8e6);
  });
});
