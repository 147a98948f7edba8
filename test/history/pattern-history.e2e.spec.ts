import 'reflect-metadata';
import { Injectable } from '@nestjs/common';
import { ChannelHub } from '../../lib/channels/channel-hub.js';
import {
  HistoryChannelFamily,
  ChannelParam,
  Data,
  InjectChannel,
  SocketAction,
  SocketApiModule,
  SocketChannel,
  type StreamPosition,
} from '../../lib/index.js';
import { useCleanup } from '../support/cleanup.js';
import { startApp, type TestApp } from '../support/test-app.js';
import { sleep, waitFor } from '../support/wait.js';
import { TestClient } from '../support/ws-client.js';

/**
 * History on the concrete channels of a pattern (P1 + P2 joined): each concrete channel has its own
 * stream (made when it gets its first member), the family's publish goes through the store whether the
 * channel is live here or not, and the channel's filter applies to replayed frames as to live ones.
 */

interface Msg {
  n: number;
}

@Injectable()
class Rooms {
  constructor(@InjectChannel('hrooms/:roomId') private readonly rooms: HistoryChannelFamily<Msg, { roomId: string }>) {}

  @SocketChannel('hrooms/:roomId', {
    history: { size: 5, ttl: 60_000 },
    filter: (msg, { data }) => (msg as Msg).n >= ((data as { min?: number } | undefined)?.min ?? 0),
  })
  room(@ChannelParam('roomId') roomId: string) {
    return { roomId };
  }

  @SocketAction('send')
  send(@Data('roomId') roomId: string, @Data('n') n: number): Promise<StreamPosition> {
    // A handle of a history pattern is a HistoryChannel at runtime: its publish resolves once stored.
    return this.rooms.to({ roomId }).publish({ n });
  }
}

const cleanup = useCleanup();

async function start(): Promise<TestApp> {
  return cleanup.track(
    await startApp({ imports: [SocketApiModule.forRoot({ heartbeat: false })], providers: [Rooms] }),
  );
}

async function client(app: TestApp): Promise<TestClient> {
  const ws = await TestClient.open(app.url);
  cleanup.add(() => ws.socket.terminate());
  return ws;
}

async function send(ws: TestClient, roomId: string, n: number): Promise<StreamPosition> {
  const id = `s${roomId}-${n}`;
  ws.send({ type: 'action', channel: 'send', data: { roomId, n }, id });
  await ws.waitFor(() => ws.frames.some((frame) => (frame as { id?: string }).id === id));
  const index = ws.frames.findIndex((frame) => (frame as { id?: string }).id === id);
  const [reply] = ws.frames.splice(index, 1) as [{ data: StreamPosition }];
  return reply.data;
}

const data = (channel: string, n: number) => ({ type: 'data', channel, data: { n }, offset: n });

describe('history on the concrete channels of a pattern', () => {
  it('stores publications to a room nobody is in, per room; a late subscriber gets the top; the room is forgotten at its last leave', async () => {
    const app = await start();
    const publisher = await client(app);
    const positions = [await send(publisher, '1', 1), await send(publisher, '1', 2), await send(publisher, '2', 1)];
    expect(positions.map((p) => p.offset)).toEqual([1, 2, 1]);
    expect(positions[0].epoch).toBe(positions[1].epoch);

    const ws = await client(app);
    ws.send({ type: 'subscribe', channel: 'hrooms/1', id: 1 });
    expect(await ws.next(1)).toEqual([
      { type: 'subscribed', channel: 'hrooms/1', offset: 2, epoch: positions[0].epoch, id: 1 },
    ]);
    await send(publisher, '1', 3);
    expect(await ws.next(1)).toEqual([data('hrooms/1', 3)]);

    ws.send({ type: 'unsubscribe', channel: 'hrooms/1', id: 2 });
    await ws.next(1);
    const hub = app.app.get(ChannelHub);
    await waitFor(() => hub.live.size === 0);
  });

  it('recovers a room: the missed publications replayed, filtered by the subscriber data as live ones', async () => {
    const app = await start();
    const publisher = await client(app);
    const ws = await client(app);
    ws.send({ type: 'subscribe', channel: 'hrooms/7', id: 1 });
    await ws.next(1);
    const [, second] = [await send(publisher, '7', 1), await send(publisher, '7', 2)];
    await ws.waitFor(() => ws.frames.length === 3); // adoption notice + 2
    ws.socket.terminate();

    for (let n = 3; n <= 6; n++) await send(publisher, '7', n);
    const back = await client(app);
    back.send({ type: 'subscribe', channel: 'hrooms/7', data: { min: 5 }, recover: second, id: 2 });
    expect(await back.next(3)).toEqual([
      { type: 'subscribed', channel: 'hrooms/7', offset: 6, epoch: second.epoch, recovered: true, id: 2 },
      data('hrooms/7', 5),
      data('hrooms/7', 6),
    ]);
    await send(publisher, '7', 7);
    expect(await back.next(1)).toEqual([data('hrooms/7', 7)]);
    await sleep(20);
    expect(back.frames).toEqual([]);
  });
});
