import { Injectable } from '@nestjs/common';
import { SocketApiClient, type RecoveryEvent } from '../../client/src/index.js';
import {
  Connection,
  Data,
  HistoryChannel,
  InjectChannel,
  SocketAction,
  SocketChannel,
  type SocketConnection,
  type StreamPosition,
} from '../../lib/index.js';
import { useCleanup } from '../support/cleanup.js';
import { sleep, waitFor } from '../support/wait.js';
import { seededRandom } from './support/chaos-proxy.js';
import { startClientServer, type ClientTestServer } from './support/client-server.js';
import { Recorder, stateReached } from './support/observe.js';

const SEED = Number(process.env.CLIENT_RECOVERY_SEED ?? 20261202);

/** A history channel of the real server (in-memory store) and what the test needs to drive it. */
@Injectable()
class Feed {
  readonly connections = new Set<SocketConnection>();

  constructor(@InjectChannel('feed') private readonly feed: HistoryChannel<number>) {}

  @SocketChannel('feed', { history: { size: 1000, ttl: 300_000 }, initialData: true })
  subscribeFeed(@Connection() connection: SocketConnection): string {
    this.connections.add(connection);
    return 'snapshot';
  }

  @SocketAction('feed_publish')
  publish(@Data('n') n: number): Promise<StreamPosition> {
    return this.feed.publish(n);
  }
}

/**
 * The client's recovery against the real server's history (issue 12 P2's in-memory store): after a
 * drop it resubscribes with its position and gets every missed publication once, in order, while
 * the server keeps publishing; after a restart (a new epoch) it is told it could not recover.
 */
describe("the client's recovery against the real server", () => {
  const cleanup = useCleanup();
  let server: ClientTestServer;

  beforeEach(async () => {
    server = await startClientServer({ heartbeat: false }, 0, { providers: [Feed] });
    cleanup.add(() => server.close());
  });

  const newClient = () =>
    cleanup.track(
      new SocketApiClient(server.url, { reconnect: { initialDelayMs: 10, maxDelayMs: 30 }, heartbeat: false }),
    );
  const feed = () => server.app.get(Feed);
  const dropAll = () => {
    for (const connection of feed().connections) connection.close(1011);
    feed().connections.clear();
  };

  it(`drops while publishing: every publication once, in order; recovered every time (seed ${SEED})`, async () => {
    const random = seededRandom(SEED);
    const client = newClient();
    const recoveries = new Recorder(client.recovery$);
    const values = new Recorder(client.subscribe('feed'));
    await values.until((received) => received.length === 1);
    let published = 0;
    let drops = 0;
    const until = Date.now() + 1500;
    while (Date.now() < until) {
      await feed().publish(++published);
      if (random() < 0.02) {
        dropAll();
        drops++;
      }
      await sleep(Math.floor(random() * 3));
    }
    await values.until((received) => received.at(-1) === published, { timeoutMs: 10_000 });
    expect(drops).toBeGreaterThan(0);
    expect(values.values).toEqual(['snapshot', ...Array.from({ length: published }, (_, index) => index + 1)]);
    expect(recoveries.values.length).toBeGreaterThan(0);
    expect(recoveries.values.every((event: RecoveryEvent) => event.recovered)).toBe(true);
  });

  it('a restarted server (the history lost): recovered false, the initial data again, then the new stream', async () => {
    const client = newClient();
    const recoveries = new Recorder(client.recovery$);
    const values = new Recorder(client.subscribe('feed'));
    await values.until((received) => received.length === 1);
    await client.action('feed_publish', { n: 1 });
    await values.until((received) => received.length === 2);
    const { port } = server;
    await server.close();
    await stateReached(client, 'reconnecting');
    server = await startClientServer({ heartbeat: false }, port, { providers: [Feed] });
    await recoveries.until((events) => events.length === 1);
    expect(recoveries.values).toEqual([{ channel: 'feed', recovered: false }]);
    await waitFor(() => values.values.length === 3);
    await client.action('feed_publish', { n: 2 });
    await values.until((received) => received.length === 4);
    expect(values.values).toEqual(['snapshot', 1, 'snapshot', 2]);
  });
});
