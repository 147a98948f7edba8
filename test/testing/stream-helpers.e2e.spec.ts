import type { INestApplication } from '@nestjs/common';
import { FrameLog } from '../../testing/frame-log.js';
import { TestClient } from '../../testing/test-client.js';
import { useCleanup } from '../support/cleanup.js';
import { StreamServer } from '../client/support/stream-server.js';

const ROOM = 'rooms/42';

/*
 * The kit's helpers for history and presence channels (issue 12): `nextRecovery` and `presenceOf`.
 * Until the server's history and presence are merged, against the raw server of the client's tests
 * that speaks their wire; the kit's client is made as `createTestClient` makes it, with a stand-in
 * for the app (only its identity is used, to forget the client when the test closes it).
 */
describe('the testing kit on history and presence channels', () => {
  const cleanup = useCleanup();
  let server: StreamServer;

  beforeEach(async () => {
    server = cleanup.track(new StreamServer([ROOM]));
    await server.listening();
  });

  // 10 s for answers that come at once (CI once waited more than 2 s for one); the timeout test passes its own.
  const newTestClient = async (timeoutMs = 10_000) => {
    const client = cleanup.track(
      new TestClient(
        server.url,
        { reconnect: { initialDelayMs: 10, maxDelayMs: 30 }, heartbeat: false },
        { app: {} as INestApplication, log: new FrameLog(20, 200), timeoutMs },
      ),
    );
    await client.connected();
    return client;
  };

  it('nextRecovery: true after a drop inside the window, false after the history was lost', async () => {
    const client = await newTestClient();
    await client.subscribed(ROOM);
    server.publish(ROOM, 'a');
    expect(await client.nextData(ROOM)).toBe('a');

    const recovery = client.nextRecovery(ROOM);
    await client.drop();
    server.publish(ROOM, 'b');
    const replayed = client.nextData(ROOM);
    await expect(recovery).resolves.toBe(true);
    expect(await replayed).toBe('b');

    const lost = client.nextRecovery(ROOM);
    server.loseHistory(ROOM, 'E2');
    await client.drop();
    await expect(lost).resolves.toBe(false);
  });

  it('nextRecovery times out with the last frames when nothing recovers', async () => {
    const client = await newTestClient(150);
    await client.subscribed(ROOM);
    await expect(client.nextRecovery(ROOM)).rejects.toThrow(
      /a recovery of 'rooms\/42' did not happen within 150 ms[\s\S]*subscribed/,
    );
  });

  it('presenceOf: the members, or the server error', async () => {
    const client = await newTestClient();
    await expect(client.presenceOf(ROOM)).rejects.toMatchObject({ code: 'NOT_SUBSCRIBED' });
    await client.subscribed(ROOM);
    expect(await client.presenceOf(ROOM)).toEqual([{ clientId: 'c1', info: { n: 1 } }]);
  });
});
