import 'reflect-metadata';
import { ChannelHub } from '../../lib/channels/channel-hub.js';
import { SocketApiEmitter } from '../../lib/index.js';
import { useCleanup } from '../support/cleanup.js';
import { describeWithRedis, RedisServer } from '../support/redis-server.js';
import type { TestApp } from '../support/test-app.js';
import { sleep, waitFor } from '../support/wait.js';
import { TestClient } from '../support/ws-client.js';
import { Rooms, startRoomsInstance } from './rooms-app.js';

type Frame = Record<string, unknown>;

const INVALID_RECOVER = 'recover must be {"offset": an integer ≥ 0, "epoch": a string}';

/**
 * An attacker's look at `rooms/:roomId` (history + presence, on a real redis-server): malformed
 * `recover`, presence queries where there is none, odd room names, subscribe/unsubscribe storms, and
 * clients leaving while their subscribe waits for a hung Redis. Each gets a clear error or a plain
 * non-recovery, and leaves nothing behind: no live channel, no presence member, no frame after it left.
 */
describeWithRedis('attacks on a history + presence pattern channel over Redis', () => {
  const cleanup = useCleanup();
  let redis: RedisServer;
  let prefixes = 0;
  beforeAll(async () => (redis = await RedisServer.start()));
  afterAll(() => redis?.stop());

  const start = async () =>
    cleanup.track(await startRoomsInstance({ redisUrl: redis.url, prefix: `atk${++prefixes}` }));
  const open = async (app: TestApp, name = 'x') => cleanup.track(await TestClient.open(`${app.url}/?name=${name}`));
  let requests = 0;
  /** Sends `message` with a fresh id; resolves with the frame answering it (taken out of the queue). */
  async function request(client: TestClient, message: Frame): Promise<Frame> {
    const id = `r${++requests}`;
    client.send({ ...message, id });
    await client.waitFor(() => client.frames.some((f) => (f as Frame).id === id));
    const index = client.frames.findIndex((f) => (f as Frame).id === id);
    return client.frames.splice(index, 1)[0] as Frame;
  }
  /** Every frame until a ping sent now is answered. */
  async function settle(client: TestClient): Promise<Frame[]> {
    const pong = await request(client, { type: 'ping' });
    expect(pong.type).toBe('pong');
    return client.frames.splice(0) as Frame[];
  }
  async function members(client: TestClient, channel: string): Promise<string[]> {
    const reply = await request(client, { type: 'presence', channel });
    expect(reply).toMatchObject({ type: 'presence', channel });
    return (reply.data as Array<{ info: { name: string } }>).map((member) => member.info.name).sort();
  }

  it('a history publication right after the app listens is stored (not UNAVAILABLE while Redis is read)', async () => {
    const app = await start();
    const position = await app.app.get(Rooms).publish('first', { tag: 'at-once' });
    expect(position.offset).toBe(1);
  });

  it('commands in flight when Redis crashes settle: a history publish and an emitter publish reject, the app closes', async () => {
    const app = await start();
    const emitter = cleanup.track(new SocketApiEmitter({ connection: redis.url, prefix: `atk${prefixes}` }));
    await emitter.publish('rooms/z', { tag: 'warm-up' });
    const client = await open(app, 'member');
    expect(await request(client, { type: 'subscribe', channel: 'rooms/z' })).toMatchObject({ type: 'subscribed' });
    redis.pause();
    // Sent to a hung Redis: in flight (written, unanswered) when it dies.
    const settled = (promise: Promise<unknown>) =>
      promise.then(
        () => 'resolved',
        (error: Error) => error.name,
      );
    const history = settled(app.app.get(Rooms).publish('z', { tag: 'in flight' }));
    const emitted = settled(emitter.publish('rooms/z', { tag: 'in flight' }));
    await sleep(100);
    await redis.kill();
    await redis.start();
    // ioredis reconnects; without rejecting them at the disconnect, it would forget them unsettled.
    expect(await history).toBe('HistoryUnavailableError');
    expect(await emitted).not.toBe('resolved');
    await waitFor(() => app.app.get(ChannelHub).live.size === 1, { timeoutMs: 5000 });
    // The presence write and the refresh in flight settled too: the app's graceful close ends (cleanup awaits it).
  });

  it('a malformed recover is INVALID_MESSAGE and joins nothing; odd but well-formed ones are plain non-recoveries', async () => {
    const app = await start();
    const hub = app.app.get(ChannelHub);
    const watcher = await open(app, 'watcher');
    expect(await request(watcher, { type: 'subscribe', channel: 'rooms/m' })).toMatchObject({ type: 'subscribed' });
    const top = await app.app.get(Rooms).publish('m', { tag: 'one' });
    const attacker = await open(app, 'attacker');
    const malformed: unknown[] = [
      { offset: -1, epoch: top.epoch },
      { offset: 1.5, epoch: top.epoch },
      { offset: 2 ** 53, epoch: top.epoch },
      { offset: 1e300, epoch: top.epoch },
      { offset: '1', epoch: top.epoch },
      { offset: 1, epoch: 'e'.repeat(65) },
      { offset: 1, epoch: '' },
      { offset: 1, epoch: 7 },
      { offset: 1 },
      null,
      'position',
      [1, top.epoch],
      42,
    ];
    for (const recover of malformed) {
      expect({ recover, reply: await request(attacker, { type: 'subscribe', channel: 'rooms/m', recover }) }).toEqual({
        recover,
        reply: {
          type: 'error',
          code: 'INVALID_MESSAGE',
          message: INVALID_RECOVER,
          channel: 'rooms/m',
          id: expect.any(String),
        },
      });
    }
    expect(await settle(attacker)).toEqual([]);
    expect(await members(watcher, 'rooms/m')).toEqual(['watcher']);
    expect([...hub.live.keys()]).toEqual(['rooms/m']);

    // Well-formed, but not a position this stream can vouch for: recovered:false, the initial data, nothing replayed.
    const unrecoverable: Frame[] = [
      { offset: 0, epoch: top.epoch, extra: 'ignored', offsetx: 1 }, // a valid position, with keys that mean nothing
      { offset: 2 ** 53 - 1, epoch: top.epoch }, // above the top
      { offset: 1, epoch: 'e'.repeat(64) }, // another epoch, at the longest allowed
      { offset: 0, epoch: '~forged~zzzzzzzzzzz' }, // an empty-stream token of another store's life, from the future
      { offset: 0, epoch: 'ü😀/..%2F' },
    ];
    for (const [index, recover] of unrecoverable.entries()) {
      const client = await open(app, `u${index}`);
      client.send({ type: 'subscribe', channel: 'rooms/m', recover, id: 'sub' });
      const frames = [...(await client.next(2)), ...(await settle(client))];
      const expected: Frame[] = [
        { type: 'subscribed', channel: 'rooms/m', offset: 1, epoch: top.epoch, recovered: index === 0, id: 'sub' },
      ];
      // The one valid position (offset 0 of this epoch) is recovered: publication 1 replayed, no initial data.
      if (index === 0) expected.push({ type: 'data', channel: 'rooms/m', data: { tag: 'one' }, offset: 1 });
      else expected.push({ type: 'data', channel: 'rooms/m', data: { initial: 'm' } });
      expect({ recover, frames }).toEqual({ recover, frames: expected });
      await client.close();
    }
    await waitFor(async () => (await members(watcher, 'rooms/m')).length === 1);
  });

  it('presence where there is none: a clear error, never a member list', async () => {
    const app = await start();
    const client = await open(app);
    expect(await request(client, { type: 'presence', channel: 'rooms/notjoined' })).toEqual({
      type: 'error',
      code: 'NOT_SUBSCRIBED',
      message: expect.any(String),
      channel: 'rooms/notjoined',
      id: expect.any(String),
    });
    expect(await request(client, { type: 'presence', channel: 'nowhere' })).toMatchObject({
      type: 'error',
      code: 'CHANNEL_NOT_FOUND',
      channel: 'nowhere',
    });
    expect(await request(client, { type: 'presence', channel: 'rooms/a/b' })).toMatchObject({
      type: 'error',
      channel: 'rooms/a/b',
    });
    expect(app.app.get(ChannelHub).live.size).toBe(0);
  });

  it('odd room names: a clear error or a room like any other (128 characters at most), released at the unsubscribe', async () => {
    const app = await start();
    const hub = app.app.get(ChannelHub);
    const client = await open(app);
    const outcomes: Record<string, string> = {};
    for (const name of [
      'rooms/a/b',
      'rooms/..',
      'rooms/.',
      'rooms/%2F',
      'rooms/ünï😀',
      `rooms/${'x'.repeat(128)}`,
      `rooms/${'y'.repeat(10_000)}`,
      'rooms/',
    ]) {
      const reply = await request(client, { type: 'subscribe', channel: name });
      if (reply.type === 'error') {
        outcomes[name.slice(0, 20)] = String(reply.code);
        expect(typeof reply.message).toBe('string');
        continue;
      }
      expect(reply).toMatchObject({ type: 'subscribed', channel: name, offset: 0 });
      expect(await settle(client)).toEqual([{ type: 'data', channel: name, data: { initial: name.slice(6) } }]);
      // Published to and read back through Redis under its own name.
      const position = await app.app.get(Rooms).publish(name.slice(6), { tag: name.slice(0, 30) });
      expect(position.offset).toBe(1);
      await client.waitFor(() => client.frames.length === 2);
      // The stream's birth (recovered:true), then the publication.
      expect(client.frames.splice(0)).toEqual([
        { type: 'subscribed', channel: name, offset: 0, epoch: position.epoch, recovered: true },
        { type: 'data', channel: name, data: { tag: name.slice(0, 30) }, offset: 1 },
      ]);
      expect(await request(client, { type: 'unsubscribe', channel: name })).toMatchObject({ type: 'unsubscribed' });
      outcomes[name.slice(0, 20)] = 'subscribed';
    }
    console.log(`odd room names: ${JSON.stringify(outcomes)}`);
    expect(outcomes['rooms/a/b']).toBe('CHANNEL_NOT_FOUND');
    expect(outcomes['rooms/']).toBe('CHANNEL_NOT_FOUND');
    // A parameter is at most 128 characters: the longest is a room, a longer one no channel.
    expect(outcomes[`rooms/${'x'.repeat(14)}`]).toBe('subscribed');
    expect(outcomes[`rooms/${'y'.repeat(14)}`]).toBe('CHANNEL_NOT_FOUND');
    expect(hub.live.size).toBe(0);
  });

  it('200 subscribe/unsubscribe pairs of one history room sent at once: the room released, no member left, and it still works', async () => {
    const app = await start();
    const hub = app.app.get(ChannelHub);
    const watcher = await open(app, 'watcher');
    await request(watcher, { type: 'subscribe', channel: 'rooms/w' });
    await settle(watcher);
    const storm = await open(app, 'storm');
    for (let i = 0; i < 200; i++) {
      storm.send({ type: 'subscribe', channel: 'rooms/storm' });
      storm.send({ type: 'unsubscribe', channel: 'rooms/storm' });
      storm.send({ type: 'subscribe', channel: 'rooms/w' });
      storm.send({ type: 'unsubscribe', channel: 'rooms/w' });
    }
    const frames = await settle(storm);
    const last = (channel: string) => frames.filter((f) => f.channel === channel && f.type !== 'data').at(-1);
    expect(last('rooms/storm')).toEqual({ type: 'unsubscribed', channel: 'rooms/storm' });
    expect(last('rooms/w')).toEqual({ type: 'unsubscribed', channel: 'rooms/w' });
    expect(frames.filter((f) => f.type === 'error')).toEqual([]);
    await sleep(200);
    expect([...hub.live.keys()]).toEqual(['rooms/w']);
    expect(await members(watcher, 'rooms/w')).toEqual(['watcher']);
    // The watcher saw the storm's joins and leaves pair up.
    const events = await settle(watcher);
    expect(events.filter((f) => f.type === 'join').length).toBe(events.filter((f) => f.type === 'leave').length);
    // It still works: a subscribe and a publication.
    expect(await request(storm, { type: 'subscribe', channel: 'rooms/storm' })).toMatchObject({ type: 'subscribed' });
    await app.app.get(Rooms).publish('storm', { tag: 'after' });
    await storm.waitFor(() => storm.frames.some((f) => (f as Frame).offset === 1));
  });

  it('unsubscribe or close while a history subscribe waits for a hung Redis: nothing kept, no frame after leaving', async () => {
    const app = await start();
    const hub = app.app.get(ChannelHub);
    const watcher = await open(app, 'watcher');
    await request(watcher, { type: 'subscribe', channel: 'rooms/h' });
    await settle(watcher);
    await app.app.get(Rooms).publish('h', { tag: 'before' });
    const leaving = await open(app, 'leaving');
    const closing = await open(app, 'closing');
    redis.pause();
    try {
      leaving.send({ type: 'subscribe', channel: 'rooms/h', id: 'sub' });
      leaving.send({ type: 'subscribe', channel: 'rooms/h2', id: 'sub2' });
      closing.send({ type: 'subscribe', channel: 'rooms/h', id: 'sub' });
      closing.send({ type: 'subscribe', channel: 'rooms/h3', id: 'sub3' });
      await sleep(200);
      leaving.send({ type: 'unsubscribe', channel: 'rooms/h', id: 'unsub' });
      leaving.send({ type: 'unsubscribe', channel: 'rooms/h2', id: 'unsub2' });
      closing.socket.terminate();
      await closing.closed();
      await sleep(200);
    } finally {
      redis.resume();
    }
    await sleep(500);
    await app.app.get(Rooms).publish('h', { tag: 'after' });
    const frames = await settle(leaving);
    // Whatever the subscribes answered, the unsubscribes came after them, and nothing after those.
    const unsubscribed = frames.findIndex((f) => f.id === 'unsub');
    const unsubscribed2 = frames.findIndex((f) => f.id === 'unsub2');
    expect(unsubscribed).toBeGreaterThan(-1);
    expect(unsubscribed2).toBeGreaterThan(-1);
    expect(frames.slice(Math.max(unsubscribed, unsubscribed2) + 1)).toEqual([]);
    expect(frames.filter((f) => f.type === 'data' && f.offset === 2)).toEqual([]);
    expect(closing.frames.filter((f) => (f as Frame).type === 'data' && (f as Frame).offset === 2)).toEqual([]);
    await waitFor(() => hub.live.size === 1);
    expect([...hub.live.keys()]).toEqual(['rooms/h']);
    expect(await members(watcher, 'rooms/h')).toEqual(['watcher']);
    // The watcher got the second publication, and every join it saw was matched by a leave.
    await watcher.waitFor(() => watcher.frames.some((f) => (f as Frame).offset === 2));
    const events = await settle(watcher);
    expect(events.filter((f) => f.type === 'join').length).toBe(events.filter((f) => f.type === 'leave').length);
  });
});
