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
      await startApp({ imports: [SocketApiModule.forRoot({ path: '/' })], providers: [ProtocolService] }),
    );
    const other = cleanup.track(await TestClient.open(app.url));
    const stalled = cleanup.track(await TestClient.open(app.url));
    const stalledTcp = (stalled.socket as unknown as { _socket: Socket })._socket;
    stalledTcp.pause();
    // Reading again before it closes (cleanups run last added first), so that its close can complete.
    cleanup.add(() => stalledTcp.resume());
    // Large replies first, until the kernel's buffers are full and the server's queue holds the rest.
    const large = 'x'.repeat(60_000);
    for (let id = 1; id <= 150; id++) stalled.send({ type: 'action', channel: 'echo', data: large, id });
    let id = 0;
    const othersRound = async () => {
      for (let i = 0; i < OTHERS_PER_ROUND; i++)
        other.send({ type: 'action', channel: 'echo', data: 'y'.repeat(40), id: ++id });
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
    // Their own bytes are ~150 KB. Each in a pool of its own would be far more (4.4 MB measured with
    // every reply a pool slice).
    expect(grown).toBeLessThan(1.5e6);
  });
});
