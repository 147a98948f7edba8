import 'reflect-metadata';
import { Injectable } from '@nestjs/common';
import {
  ChannelParam,
  Data,
  HistoryChannel,
  InjectChannel,
  SocketAction,
  SocketApiModule,
  SocketChannel,
  type StreamPosition,
} from '../../lib/index.js';
import { useCleanup } from '../support/cleanup.js';
import { describeWithRedis, RedisServer } from '../support/redis-server.js';
import { startApp, type TestApp } from '../support/test-app.js';
import { TestClient } from '../support/ws-client.js';

@Injectable()
class Ticks {
  constructor(@InjectChannel('ticks') private readonly ticks: HistoryChannel<{ n: number }>) {}

  @SocketChannel('ticks', { history: { size: 100, ttl: 60_000 } })
  subscribeTicks() {}

  @SocketAction('publish')
  publish(@Data() tick: { n: number }): Promise<StreamPosition> {
    return this.ticks.publish(tick);
  }

  /** Synchronous, published through the HTTP bridge: the bridge must still await the store. */
  @SocketChannel('rooms/:roomId', { history: { size: 100, ttl: 60_000 } })
  room(@ChannelParam('roomId') roomId: string, @Data('text') text?: string) {
    return { roomId, text };
  }
}

describeWithRedis('history across two instances on Redis', () => {
  const cleanup = useCleanup();
  let redis: RedisServer;
  beforeAll(async () => (redis = await RedisServer.start()));
  afterAll(() => redis.stop());

  const start = async () =>
    cleanup.track(
      await startApp({
        imports: [
          SocketApiModule.forRoot({ heartbeat: false, broadcast: {}, redis: { connection: redis.url, prefix: 'two' } }),
        ],
        providers: [Ticks],
      }),
    );
  const client = async (app: TestApp) => {
    const ws = await TestClient.open(app.url);
    cleanup.add(() => ws.socket.terminate());
    return ws;
  };
  async function publish(ws: TestClient, n: number): Promise<StreamPosition> {
    ws.send({ type: 'action', channel: 'publish', data: { n }, id: `p${n}` });
    await ws.waitFor(() => ws.frames.some((f) => (f as { id?: string }).id === `p${n}`));
    const index = ws.frames.findIndex((f) => (f as { id?: string }).id === `p${n}`);
    return (ws.frames.splice(index, 1)[0] as { data: StreamPosition }).data;
  }
  const offsets = (ws: TestClient) =>
    ws.frames.filter((f) => (f as { type: string }).type === 'data').map((f) => (f as { offset: number }).offset);

  it('publications from both instances: offsets +1, no gap, on both; recover on B after publishing on A', async () => {
    const a = await start();
    const b = await start();
    const onA = await client(a);
    const onB = await client(b);
    for (const ws of [onA, onB]) {
      ws.send({ type: 'subscribe', channel: 'ticks', id: 1 });
      await ws.next(1);
    }
    const pubA = await client(a);
    const pubB = await client(b);
    for (let n = 1; n <= 10; n++) await publish(n % 2 ? pubA : pubB, n);
    for (const ws of [onA, onB]) {
      await ws.waitFor(() => offsets(ws).length === 10);
      expect(offsets(ws)).toEqual([1, 2, 3, 4, 5, 6, 7, 8, 9, 10]);
    }
    const last = onB.frames.at(-1) as { offset: number };
    const epoch = (
      onB.frames.find((f) => (f as { epoch?: string }).epoch && (f as { recovered?: boolean }).recovered) as {
        epoch: string;
      }
    ).epoch;
    onB.socket.terminate();
    for (let n = 11; n <= 13; n++) await publish(pubA, n);
    const back = await client(b);
    back.send({ type: 'subscribe', channel: 'ticks', recover: { offset: last.offset, epoch }, id: 2 });
    const frames = await back.next(4);
    expect(frames).toEqual([
      { type: 'subscribed', channel: 'ticks', offset: 13, epoch, recovered: true, id: 2 },
      { type: 'data', channel: 'ticks', data: { n: 11 }, offset: 11 },
      { type: 'data', channel: 'ticks', data: { n: 12 }, offset: 12 },
      { type: 'data', channel: 'ticks', data: { n: 13 }, offset: 13 },
    ]);
  });

  it('Redis restarted without persistence: a publication during the outage is UNAVAILABLE, live subscribers get the resync', async () => {
    const a = await start();
    const onA = await client(a);
    onA.send({ type: 'subscribe', channel: 'ticks', id: 1 });
    await onA.next(1);
    const pub = await client(a);
    const before = await publish(pub, 1);
    await onA.waitFor(() => offsets(onA).length === 1);
    await redis.kill();
    pub.send({ type: 'action', channel: 'publish', data: { n: 2 }, id: 'down' });
    const [reply] = (await pub.next(1)) as [Record<string, unknown>];
    expect(reply).toMatchObject({ type: 'error', id: 'down' });
    expect(JSON.stringify(reply)).toContain('"UNAVAILABLE"');
    await redis.start();
    await onA.waitFor(
      () =>
        onA.frames.some(
          (f) => (f as { recovered?: boolean; id?: unknown }).recovered === false && !('id' in (f as object)),
        ),
      { timeoutMs: 10_000 },
    );
    const resync = onA.frames.find((f) => (f as { recovered?: boolean }).recovered === false) as {
      epoch: string;
      offset: number;
    };
    expect(resync).toMatchObject({ type: 'subscribed', channel: 'ticks', offset: 0, recovered: false });
    expect(resync.epoch).not.toBe(before.epoch);
    const after = await publish(pub, 3);
    expect(after.offset).toBe(1);
    await onA.waitFor(() => offsets(onA).length === 2);
    expect(onA.frames.filter((f) => (f as { type: string }).type === 'data').at(-1)).toEqual({
      type: 'data',
      channel: 'ticks',
      data: { n: 3 },
      offset: 1,
    });
  });

  it('the HTTP bridge answers once the publication is stored (offset on every instance), 503 while Redis is down', async () => {
    const a = await start();
    const b = await start();
    const onB = await client(b);
    onB.send({ type: 'subscribe', channel: 'rooms/7', id: 1 });
    await onB.next(1);
    const broadcast = (text: string) =>
      fetch(`${a.url.replace('ws:', 'http:')}/_broadcast`, {
        method: 'POST',
        headers: { 'content-type': 'application/json' },
        body: JSON.stringify({ channel: 'rooms/7', data: { text } }),
      });
    const ok = await broadcast('hi');
    expect([ok.status, await ok.json()]).toEqual([200, { status: 'success' }]);
    // The room had no stream when B's client subscribed: the first publication's stream is adopted, then it comes.
    const [adopted, data] = (await onB.next(2)) as [Record<string, unknown>, Record<string, unknown>];
    expect(adopted).toMatchObject({ type: 'subscribed', channel: 'rooms/7', offset: 0, recovered: true });
    expect(data).toEqual({ type: 'data', channel: 'rooms/7', data: { roomId: '7', text: 'hi' }, offset: 1 });
    await redis.kill();
    const down = await broadcast('lost');
    expect(down.status).toBe(503);
    expect(((await down.json()) as { error: string }).error).toMatch(/history/);
    await redis.start();
    // Back once Redis is: the next publication is the first of a new epoch (Redis restarted empty).
    let back = await broadcast('back');
    for (const deadline = Date.now() + 10_000; back.status !== 200 && Date.now() < deadline;) {
      await new Promise((resolve) => setTimeout(resolve, 100));
      back = await broadcast('back');
    }
    expect(back.status).toBe(200);
    await onB.waitFor(() => onB.frames.some((f) => JSON.stringify(f).includes('"back"')));
    expect(onB.frames.find((f) => JSON.stringify(f).includes('"back"'))).toMatchObject({ offset: 1 });
  });
});
