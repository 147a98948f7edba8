import { ClientErrorCode, SocketApiClient, SocketApiError, type RecoveryEvent } from '../../client/src/index.js';
import { useCleanup } from '../support/cleanup.js';
import { sleep, waitFor } from '../support/wait.js';
import { seededRandom } from './support/chaos-proxy.js';
import { Recorder, stateReached } from './support/observe.js';
import { StreamServer } from './support/stream-server.js';

const ROOM = 'rooms/42';
const SEED = Number(process.env.CLIENT_RECOVERY_SEED ?? 20261202);

/**
 * The client's recovery on history channels (issue 12), against a raw server speaking the wire of
 * PROTOCOL.md's "History and recovery": it keeps the position of each subscription, sends `recover`
 * when it subscribes again after a reconnect, drops what it has already received, and tells the app
 * on `recovery$` whether nothing was missed.
 */
describe('the client recovers history channels after a reconnect', () => {
  const cleanup = useCleanup();
  let server: StreamServer;

  beforeEach(async () => {
    server = cleanup.track(new StreamServer([ROOM, 'rooms/7']));
    await server.listening();
  });

  const newClient = () =>
    cleanup.track(
      new SocketApiClient(server.url, { reconnect: { initialDelayMs: 10, maxDelayMs: 30 }, heartbeat: false }),
    );
  const subscribesOf = (channel: string) => server.framesOf('subscribe').filter((frame) => frame.channel === channel);

  it('resubscribes with the last offset and epoch, gets what it missed in order, and says recovered', async () => {
    const client = newClient();
    const recoveries = new Recorder(client.recovery$);
    const room = new Recorder(client.subscribe(ROOM));
    await waitFor(() => subscribesOf(ROOM).length === 1);
    expect(subscribesOf(ROOM)[0]).toEqual({ type: 'subscribe', channel: ROOM, id: expect.any(Number) as number });
    await sleep(20);
    server.publish(ROOM, 'a');
    server.publish(ROOM, 'b');
    await room.until((values) => values.length === 2);

    server.dropAll();
    await stateReached(client, 'reconnecting');
    server.publish(ROOM, 'c');
    server.publish(ROOM, 'd');
    await room.until((values) => values.length === 4);
    expect(subscribesOf(ROOM)[1]?.recover).toEqual({ offset: 2, epoch: 'E1' });
    server.publish(ROOM, 'e');
    await room.until((values) => values.length === 5);
    expect(room.values).toEqual(['a', 'b', 'c', 'd', 'e']);
    expect(recoveries.values).toEqual([{ channel: ROOM, recovered: true }]);

    // The position moved with the replayed and live frames: the next recover starts at 5.
    server.dropAll();
    await waitFor(() => subscribesOf(ROOM).length === 3);
    expect(subscribesOf(ROOM)[2]?.recover).toEqual({ offset: 5, epoch: 'E1' });
  });

  it('drops frames at or below its position (a replay overlapping what it received)', async () => {
    const client = newClient();
    const room = new Recorder(client.subscribe(ROOM));
    await waitFor(() => subscribesOf(ROOM).length === 1);
    await sleep(20);
    for (const payload of ['a', 'b', 'c']) server.publish(ROOM, payload);
    await room.until((values) => values.length === 3);
    server.overlap = 2;
    server.dropAll();
    await waitFor(() => subscribesOf(ROOM).length === 2);
    server.publish(ROOM, 'd');
    await room.until((values) => values.includes('d'));
    await sleep(50);
    expect(room.values).toEqual(['a', 'b', 'c', 'd']);
  });

  it('another epoch: recovered false, the initial data again, and the new stream from its own offsets', async () => {
    server.initialData = 'snapshot';
    const client = newClient();
    const recoveries = new Recorder(client.recovery$);
    const room = new Recorder(client.subscribe(ROOM));
    await room.until((values) => values.length === 1);
    for (const payload of ['a', 'b', 'c']) server.publish(ROOM, payload);
    await room.until((values) => values.length === 4);

    server.loseHistory(ROOM, 'E2');
    server.dropAll();
    await recoveries.until((values) => values.length === 1);
    expect(recoveries.values).toEqual([{ channel: ROOM, recovered: false }]);
    // Offset 1 of the new stream is below the old position (3): it is not mistaken for a duplicate.
    server.publish(ROOM, 'new 1');
    await room.until((values) => values.includes('new 1'));
    expect(room.values).toEqual(['snapshot', 'a', 'b', 'c', 'snapshot', 'new 1']);
    server.dropAll();
    await waitFor(() => subscribesOf(ROOM).length === 3);
    expect(subscribesOf(ROOM)[2]?.recover).toEqual({ offset: 1, epoch: 'E2' });
  });

  it('outside the window (the history kept fewer publications than were missed): recovered false, nothing replayed', async () => {
    server.size = 2;
    const client = newClient();
    const recoveries = new Recorder(client.recovery$);
    const room = new Recorder(client.subscribe(ROOM));
    await waitFor(() => subscribesOf(ROOM).length === 1);
    await sleep(20);
    server.publish(ROOM, 'a');
    await room.until((values) => values.length === 1);
    server.dropAll();
    await stateReached(client, 'reconnecting');
    for (const payload of ['b', 'c', 'd']) server.publish(ROOM, payload);
    await recoveries.until((values) => values.length === 1);
    expect(recoveries.values).toEqual([{ channel: ROOM, recovered: false }]);
    server.publish(ROOM, 'e');
    await room.until((values) => values.includes('e'));
    expect(room.values).toEqual(['a', 'e']);
  });

  it('the server says a live stream broke (subscribed without id): recovery$ false, position reset', async () => {
    const client = newClient();
    const recoveries = new Recorder(client.recovery$);
    const room = new Recorder(client.subscribe(ROOM));
    await waitFor(() => subscribesOf(ROOM).length === 1);
    await sleep(20);
    for (const payload of ['a', 'b', 'c']) server.publish(ROOM, payload);
    await room.until((values) => values.length === 3);
    server.loseHistory(ROOM, 'E2');
    server.sendToAll({ type: 'subscribed', channel: ROOM, offset: 0, epoch: 'E2', recovered: false });
    server.publish(ROOM, 'after');
    await room.until((values) => values.includes('after'));
    expect(recoveries.values).toEqual([{ channel: ROOM, recovered: false }]);
    server.dropAll();
    await waitFor(() => subscribesOf(ROOM).length === 2);
    expect(subscribesOf(ROOM)[1]?.recover).toEqual({ offset: 1, epoch: 'E2' });
  });

  it('an epoch handed over to a live subscriber (recovered true, no id) is adopted silently', async () => {
    const client = newClient();
    const recoveries = new Recorder(client.recovery$);
    const room = new Recorder(client.subscribe(ROOM));
    await waitFor(() => subscribesOf(ROOM).length === 1);
    await sleep(20);
    server.sendToAll({ type: 'subscribed', channel: ROOM, offset: 0, epoch: 'E1', recovered: true });
    server.publish(ROOM, 'a');
    await room.until((values) => values.length === 1);
    server.dropAll();
    await waitFor(() => subscribesOf(ROOM).length === 2);
    expect(subscribesOf(ROOM)[1]?.recover).toEqual({ offset: 1, epoch: 'E1' });
    await recoveries.until((values) => values.length === 1);
    expect(recoveries.values).toEqual([{ channel: ROOM, recovered: true }]);
  });

  it('a channel without history: no recover, no recovery event', async () => {
    const client = newClient();
    const recoveries = new Recorder(client.recovery$);
    const plain = new Recorder(client.subscribe('plain'));
    await waitFor(() => subscribesOf('plain').length === 1);
    await sleep(20);
    server.publishPlain('x');
    await plain.until((values) => values.length === 1);
    server.dropAll();
    await waitFor(() => subscribesOf('plain').length === 2);
    expect(subscribesOf('plain')[1]).toEqual({ type: 'subscribe', channel: 'plain', id: expect.any(Number) as number });
    await sleep(50);
    expect(recoveries.values).toEqual([]);
  });

  it('a recover answered by a channel without history (turned off since): recovered false, position forgotten', async () => {
    const client = newClient();
    const recoveries = new Recorder(client.recovery$);
    const room = new Recorder(client.subscribe(ROOM));
    await waitFor(() => subscribesOf(ROOM).length === 1);
    await sleep(20);
    server.publish(ROOM, 'a');
    await room.until((values) => values.length === 1);
    server.dropHistory(ROOM);
    server.dropAll();
    await recoveries.until((values) => values.length === 1);
    expect(recoveries.values).toEqual([{ channel: ROOM, recovered: false }]);
    server.dropAll();
    await waitFor(() => subscribesOf(ROOM).length === 3);
    expect(subscribesOf(ROOM)[2]?.recover).toBeUndefined();
  });

  it('every observer leaving forgets the position: the next subscribe is fresh', async () => {
    const client = newClient();
    const first = new Recorder(client.subscribe(ROOM));
    await waitFor(() => subscribesOf(ROOM).length === 1);
    await sleep(20);
    server.publish(ROOM, 'a');
    await first.until((values) => values.length === 1);
    first.close();
    new Recorder(client.subscribe(ROOM));
    await waitFor(() => subscribesOf(ROOM).length === 2);
    expect(subscribesOf(ROOM)[1]?.recover).toBeUndefined();
  });

  it('UNAVAILABLE (the history store unreachable) is retried with backoff, not an error of the Observable', async () => {
    server.unavailable.set(ROOM, 2);
    const client = newClient();
    const room = new Recorder(client.subscribe(ROOM));
    await waitFor(() => subscribesOf(ROOM).length === 3);
    await sleep(20);
    server.publish(ROOM, 'a');
    await room.until((values) => values.length === 1);
    expect(room.error).toBeUndefined();
    expect(client.state.status).toBe('open');
  });

  it(`seeded: drops at random while the server publishes: every payload once, in order (seed ${SEED})`, async () => {
    const random = seededRandom(SEED);
    const client = newClient();
    const recoveries = new Recorder(client.recovery$);
    const room = new Recorder(client.subscribe(ROOM));
    await waitFor(() => subscribesOf(ROOM).length === 1);
    await sleep(20);
    let published = 0;
    let drops = 0;
    const until = Date.now() + 1500;
    while (Date.now() < until) {
      server.publish(ROOM, ++published);
      if (random() < 0.01) {
        server.dropAll();
        drops++;
      }
      await sleep(Math.floor(random() * 3));
    }
    await room.until((values) => values.at(-1) === published, { timeoutMs: 10_000 });
    expect(drops).toBeGreaterThan(0);
    expect(room.values).toEqual(Array.from({ length: published }, (_, index) => index + 1));
    expect(recoveries.values.every((event: RecoveryEvent) => event.recovered)).toBe(true);
    expect(recoveries.values.length).toBeGreaterThan(0);
  });
});

describe('presence from the client', () => {
  const cleanup = useCleanup();
  let server: StreamServer;

  beforeEach(async () => {
    server = cleanup.track(new StreamServer([ROOM, 'rooms/7']));
    await server.listening();
  });

  it('presence(name) asks the server and resolves with the members; a refusal rejects with its code', async () => {
    const client = cleanup.track(new SocketApiClient(server.url, { heartbeat: false }));
    const notSubscribed = await client.presence(ROOM).catch((error: unknown) => error);
    expect(notSubscribed).toBeInstanceOf(SocketApiError);
    expect((notSubscribed as SocketApiError).code).toBe('NOT_SUBSCRIBED');

    new Recorder(client.subscribe(ROOM));
    await waitFor(() => server.framesOf('subscribe').length === 1);
    const members = await client.presence(ROOM);
    expect(members).toEqual([{ clientId: 'c1', info: { n: 1 } }]);
    expect(server.framesOf('presence').at(-1)).toEqual({
      type: 'presence',
      channel: ROOM,
      id: expect.any(Number) as number,
    });
  });

  it("presence(name) is sent like an action: whenDisconnected 'fail' rejects at once before the connection opens", async () => {
    const client = cleanup.track(new SocketApiClient(server.url, { heartbeat: false }));
    const failing = await client.presence(ROOM, { whenDisconnected: 'fail' }).catch((error: unknown) => error);
    expect((failing as SocketApiError).code).toBe(ClientErrorCode.NOT_CONNECTED);
    await stateReached(client, 'open');
  });

  it('presenceEvents(name): the join and leave frames of that channel only', async () => {
    const client = cleanup.track(new SocketApiClient(server.url, { heartbeat: false }));
    const events = new Recorder(client.presenceEvents(ROOM));
    new Recorder(client.subscribe(ROOM));
    new Recorder(client.subscribe('rooms/7'));
    await waitFor(() => server.framesOf('subscribe').length === 2);
    server.announce('rooms/7', 'join', { clientId: 'elsewhere' });
    server.announce(ROOM, 'join', { clientId: 'x', info: { name: 'Ada' } });
    server.announce(ROOM, 'leave', { clientId: 'x' });
    await events.until((values) => values.length === 2);
    expect(events.values).toEqual([
      { type: 'join', channel: ROOM, member: { clientId: 'x', info: { name: 'Ada' } } },
      { type: 'leave', channel: ROOM, member: { clientId: 'x' } },
    ]);
    await client.close();
    expect(events.completed).toBe(true);
  });
});
