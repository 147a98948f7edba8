import 'reflect-metadata';
import supertest from 'supertest';
import { createTestClient } from '../testing/index.js';
import { contractHash } from '../sample/api-contract.js';
import { AppModule } from '../sample/app.module.js';
import { useCleanup } from './support/cleanup.js';
import { PLATFORMS } from './support/platforms.js';
import { parsePrometheusText, valueOf } from './support/prometheus-text.js';
import { startApp, type TestApp } from './support/test-app.js';
import { sleep } from './support/wait.js';
import { TestClient } from './support/ws-client.js';

describe.each(PLATFORMS)('the sample app on %s', (platform) => {
  let t: TestApp;
  beforeAll(async () => {
    t = await startApp({ imports: [AppModule] }, undefined, platform);
  });
  afterAll(() => t.close());

  it('serves its HTML page with an HTTP GET on the socket path, its script and style sheet beside it', async () => {
    const response = await supertest(t.server).get('/').expect(200);
    expect(response.headers['content-type']).toMatch(/^text\/html/);
    expect(response.headers['content-security-policy']).toContain("script-src 'self'");
    expect(response.text).toContain('<script type="module" src="/page.js"></script>');
    // No inline script or style: the policy would refuse them.
    expect(response.text).not.toMatch(/<script>|<style>/);
    // The bundle (test/support/build-browser-bundles.mjs builds it): the client with the sample's contract hash.
    const script = await supertest(t.server).get('/page.js').expect(200);
    expect(script.headers['content-type']).toMatch(/^text\/javascript/);
    expect(script.text).toContain(contractHash);
    const style = await supertest(t.server).get('/page.css').expect(200);
    expect(style.headers['content-type']).toMatch(/^text\/css/);
  });

  it('serves Prometheus metrics at /metrics', async () => {
    const client = await TestClient.open(`${t.url}/`);
    client.send({ type: 'subscribe', channel: 'chat' });
    await client.next(2);
    const response = await supertest(t.server).get('/metrics').expect(200);
    expect(response.headers['content-type']).toBe('text/plain; version=0.0.4; charset=utf-8');
    const families = parsePrometheusText(response.text);
    expect(valueOf(families, 'socketapi_connections')).toBeGreaterThanOrEqual(1);
    expect(valueOf(families, 'socketapi_subscriptions', { channel: 'chat' })).toBeGreaterThanOrEqual(1);
    await client.close();
  });

  it('serves the health probes, ready while it serves', async () => {
    for (const path of ['/health/live', '/health/ready']) {
      const response = await supertest(t.server).get(path).expect(200);
      expect(response.body).toEqual({ status: 'ok' });
    }
  });

  it('answers the seeds exchange on the same path', async () => {
    const subscriber = await TestClient.open(`${t.url}/`);
    subscriber.send({ type: 'subscribe', channel: 'chat' });
    expect(await subscriber.next(2)).toEqual([
      { type: 'subscribed', channel: 'chat' },
      { type: 'data', channel: 'chat', data: { message: 'Welcome' } },
    ]);
    const caller = await TestClient.open(`${t.url}/`);
    caller.send({ type: 'action', channel: 'add_numbers', data: { a: 5, b: 3 } });
    caller.send({ type: 'action', channel: 'send_message', data: { message: 'Hello everyone!' }, id: 1 });
    expect(await caller.next(2)).toEqual([
      { type: 'action', channel: 'add_numbers', status: 'completed', data: 8 },
      {
        type: 'action',
        channel: 'send_message',
        status: 'completed',
        data: { sent: true, by: expect.any(String) },
        id: 1,
      },
    ]);
    expect(await subscriber.next()).toEqual([{ type: 'data', channel: 'chat', data: { message: 'Hello everyone!' } }]);
    await subscriber.close();
    await caller.close();
  });

  it('guards admin_stats and validates the nested DTO of create_user', async () => {
    const user = await createTestClient(t.app);
    await user.expectError('FORBIDDEN', 'admin_stats');
    const invalid = await user.expectError('VALIDATION_ERROR', 'create_user', {
      user: { username: 'bo', email: 'bo@example.com', age: 30, address: { street: 's', city: 'c', zipcode: 1 } },
    });
    expect(invalid.errors).toEqual([expect.objectContaining({ path: 'user.address.zipcode' })]);
    // Both clients are closed by t.close() (app.close()) in afterAll.
    const admin = await createTestClient(t.app, { query: { role: 'admin' } });
    expect(await admin.action('admin_stats')).toEqual(expect.objectContaining({ users: expect.any(Number) }));
  });
});

/**
 * The sample's rooms (`rooms/:roomId` with history, presence and join/leave; `send_to_room`), frame by
 * frame on real sockets. One platform: nothing here depends on the HTTP server.
 */
describe("the sample app's rooms", () => {
  const cleanup = useCleanup();
  let t: TestApp;
  beforeAll(async () => {
    t = await startApp({ imports: [AppModule] });
  });
  afterAll(() => t.close());

  /** A raw client of the sample, as `name` (the room's display name) when given; closed after the test. */
  async function member(name?: string, query = ''): Promise<TestClient> {
    const ws = await TestClient.open(`${t.url}/${name === undefined ? query : `?name=${name}${query}`}`);
    cleanup.add(() => ws.socket.terminate());
    return ws;
  }

  /** Subscribes `ws` to the room and returns the `subscribed` frame (with the room's offset and epoch). */
  async function join(ws: TestClient, roomId: string, extra: object = {}): Promise<Subscribed> {
    ws.send({ type: 'subscribe', channel: `rooms/${roomId}`, id: 's', ...extra });
    const [subscribed] = (await ws.next(1)) as [Subscribed];
    expect(subscribed).toMatchObject({ type: 'subscribed', channel: `rooms/${roomId}` });
    return subscribed;
  }

  /** Calls send_to_room and returns its reply frame. */
  async function send(ws: TestClient, data: unknown, id = 'm'): Promise<unknown> {
    ws.send({ type: 'action', channel: 'send_to_room', data, id });
    const [reply] = await ws.next(1);
    return reply;
  }

  /**
   * The next `count` data frames of `ws`, and the epoch it was last told (its `subscribed`, or the epoch
   * adoption notice a room's first publication sends); join/leave frames and the notice are taken out
   * with them.
   */
  async function published(
    ws: TestClient,
    count: number,
    epoch?: string,
  ): Promise<{ data: unknown[]; epoch?: string }> {
    const isData = (frame: unknown) => (frame as { type: string }).type === 'data';
    await ws.waitFor(() => ws.frames.filter(isData).length >= count);
    const taken = ws.frames.splice(0, ws.frames.findIndex((frame) => isData(frame) && --count === 0) + 1);
    for (const frame of taken as { type: string; epoch?: string }[]) {
      if (frame.type === 'subscribed') epoch = frame.epoch;
    }
    return { data: taken.filter(isData), epoch };
  }

  interface Subscribed {
    offset: number;
    epoch: string;
  }

  const roomData = (roomId: string, message: string, offset: number) => ({
    type: 'data',
    channel: `rooms/${roomId}`,
    data: { message },
    offset,
  });

  it('send_to_room publishes { message } to that room only, with offsets one apart, and answers with the offset', async () => {
    const roomId = `r${Date.now()}`;
    const first = await member();
    const second = await member();
    const elsewhere = await member();
    const sender = await member();
    expect(await join(first, roomId)).toMatchObject({ offset: 0, epoch: expect.any(String) });
    await join(second, roomId);
    await join(elsewhere, `${roomId}-other`);

    expect(await send(sender, { roomId, message: 'one' })).toEqual({
      type: 'action',
      channel: 'send_to_room',
      status: 'completed',
      data: { sent: true, offset: 1 },
      id: 'm',
    });
    expect(await send(sender, { roomId, message: 'two' })).toMatchObject({ data: { sent: true, offset: 2 } });
    const expected = [roomData(roomId, 'one', 1), roomData(roomId, 'two', 2)];
    expect((await published(first, 2)).data).toEqual(expected);
    expect((await published(second, 2)).data).toEqual(expected);
    // The other room heard nothing; its first message is its own offset 1.
    await sleep(50);
    expect(elsewhere.frames).toEqual([]);
    await send(sender, { roomId: `${roomId}-other`, message: 'there' });
    expect((await published(elsewhere, 1)).data).toEqual([roomData(`${roomId}-other`, 'there', 1)]);
    expect(first.frames).toEqual([]);
  });

  it.each([
    ['a room id with a /', 'a/b'],
    ['an empty room id', ''],
    ['a room id of 65 characters', 'x'.repeat(65)],
    ['a room id with markup', '<b>'],
    ['a number for a room id', 42],
  ])('refuses %s with VALIDATION_ERROR naming roomId, publishing nothing', async (_what, roomId) => {
    const client = await member();
    const reply = (await send(client, { roomId, message: 'hi' })) as { errors: { path: string }[] };
    expect(reply).toMatchObject({ type: 'error', code: 'VALIDATION_ERROR', channel: 'send_to_room', id: 'm' });
    expect(reply.errors.map((error) => error.path)).toEqual(['roomId']);
  });

  it('refuses a message that is empty or too long, and joining a room by a bad id', async () => {
    const client = await member();
    expect(await send(client, { roomId: 'lobby', message: '' })).toMatchObject({ code: 'VALIDATION_ERROR' });
    expect(await send(client, { roomId: 'lobby', message: 'x'.repeat(501) })).toMatchObject({
      code: 'VALIDATION_ERROR',
    });
    client.send({ type: 'subscribe', channel: 'rooms/a.b', id: 'bad' });
    expect(await client.next(1)).toEqual([
      expect.objectContaining({ type: 'error', code: 'VALIDATION_ERROR', channel: 'rooms/a.b', id: 'bad' }),
    ]);
  });

  it("lists a room's members with their display name only, and tells the others who joins and leaves", async () => {
    const roomId = `p${Date.now()}`;
    const ada = await member('ada', '&role=admin');
    const anonymous = await member();
    await join(ada, roomId);
    await join(anonymous, roomId);
    const [joined] = (await ada.next(1)) as [{ data: { clientId: string } }];
    expect(joined).toEqual({ type: 'join', channel: `rooms/${roomId}`, data: { clientId: expect.any(String) } });

    ada.send({ type: 'presence', channel: `rooms/${roomId}`, id: 'who' });
    const [reply] = (await ada.next(1)) as [{ data: { clientId: string; info?: unknown }[] }];
    expect(reply).toMatchObject({ type: 'presence', channel: `rooms/${roomId}`, id: 'who' });
    // Only the name: not the role of ada's query; nothing at all for a connection that gave none.
    expect(reply.data.map(({ info }) => info ?? null).sort()).toEqual([{ name: 'ada' }, null].sort());
    expect(reply.data.find((entry) => entry.info === undefined)?.clientId).toBe(joined.data.clientId);

    const bob = await member(`  ${'b'.repeat(40)}  `);
    await join(bob, roomId);
    const long = { clientId: expect.any(String), info: { name: 'b'.repeat(32) } };
    const [bobJoined] = (await ada.next(1)) as [{ data: { clientId: string } }];
    expect(bobJoined).toEqual({ type: 'join', channel: `rooms/${roomId}`, data: long });
    expect(await anonymous.next(1)).toEqual([{ type: 'join', channel: `rooms/${roomId}`, data: long }]);
    bob.socket.terminate();
    expect(await ada.next(1)).toEqual([
      { type: 'leave', channel: `rooms/${roomId}`, data: { clientId: bobJoined.data.clientId } },
    ]);

    // Not a member: not told who is.
    const outsider = await member('eve');
    outsider.send({ type: 'presence', channel: `rooms/${roomId}`, id: 'peek' });
    expect(await outsider.next(1)).toEqual([
      expect.objectContaining({ type: 'error', code: 'NOT_SUBSCRIBED', id: 'peek' }),
    ]);
  });

  it('a subscriber that comes back with its position gets the messages it missed, in order, then the live ones', async () => {
    const roomId = `h${Date.now()}`;
    const sender = await member();
    const away = await member('away');
    const joined = await join(away, roomId);
    await send(sender, { roomId, message: 'seen' });
    const { data, epoch } = await published(away, 1, joined.epoch);
    expect(data).toEqual([roomData(roomId, 'seen', 1)]);
    away.socket.terminate();

    for (const message of ['missed 1', 'missed 2', 'missed 3']) await send(sender, { roomId, message });
    const back = await member('away');
    expect(await join(back, roomId, { recover: { offset: 1, epoch: epoch! } })).toEqual({
      type: 'subscribed',
      channel: `rooms/${roomId}`,
      offset: 4,
      epoch,
      recovered: true,
      id: 's',
    });
    expect(await back.next(3)).toEqual([
      roomData(roomId, 'missed 1', 2),
      roomData(roomId, 'missed 2', 3),
      roomData(roomId, 'missed 3', 4),
    ]);
    await send(sender, { roomId, message: 'live' });
    expect(await back.next(1)).toEqual([roomData(roomId, 'live', 5)]);

    // Another epoch (the history of a server that restarted): told plainly, nothing replayed.
    const stranger = await member();
    expect(await join(stranger, roomId, { recover: { offset: 1, epoch: 'not-this-one' } })).toMatchObject({
      recovered: false,
      offset: 5,
    });
    await sleep(50);
    expect(stranger.frames).toEqual([]);
  });
});
