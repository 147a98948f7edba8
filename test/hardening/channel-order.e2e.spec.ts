import 'reflect-metadata';
import { Injectable } from '@nestjs/common';
import {
  Channel,
  Connection,
  InjectChannel,
  SocketAction,
  SocketApiModule,
  SocketChannel,
  SocketConnection,
} from '../../lib/index.js';
import { useCleanup } from '../support/cleanup.js';
import { startApp } from '../support/test-app.js';
import { sleep } from '../support/wait.js';
import { TestClient } from '../support/ws-client.js';

/**
 * With `concurrency` above 1, subscribe and unsubscribe of one channel still end in the order sent,
 * and `maxSubscriptions` holds when async channel methods run side by side.
 */

@Injectable()
class SlowChannels {
  constructor(@InjectChannel('news') private readonly news: Channel<{ n: number }>) {}

  @SocketChannel('news')
  async subscribeNews() {
    await sleep(200);
  }

  @SocketChannel('sports')
  async subscribeSports() {
    await sleep(200);
  }

  @SocketAction('subscriptions')
  subscriptions(@Connection() connection: SocketConnection) {
    return connection.subscriptions;
  }

  @SocketAction('publish')
  publish() {
    this.news.publish({ n: 1 });
    return this.news.subscriberCount;
  }
}

const cleanup = useCleanup();

/** An app and a client of it, both closed after the test. */
async function open(maxSubscriptions?: number): Promise<TestClient> {
  const t = cleanup.track(
    await startApp({
      imports: [SocketApiModule.forRoot({ concurrency: 4, maxSubscriptions, heartbeat: false })],
      providers: [SlowChannels],
    }),
  );
  const client = await TestClient.open(t.url);
  cleanup.add(() => client.socket.terminate());
  return client;
}

describe('concurrency 4', () => {
  it('an unsubscribe sent while the subscribe still runs ends unsubscribed, replies in order', async () => {
    const ws = await open();
    ws.send({ type: 'subscribe', channel: 'news', id: 1 });
    ws.send({ type: 'unsubscribe', channel: 'news', id: 2 });
    expect(await ws.next(2)).toEqual([
      { type: 'subscribed', channel: 'news', id: 1 },
      { type: 'unsubscribed', channel: 'news', id: 2 },
    ]);
    ws.send({ type: 'action', channel: 'publish', id: 3 });
    ws.send({ type: 'action', channel: 'subscriptions', id: 4 });
    expect(await ws.next(2)).toEqual([
      expect.objectContaining({ channel: 'publish', data: 0, id: 3 }),
      expect.objectContaining({ channel: 'subscriptions', data: [], id: 4 }),
    ]);
    await sleep(100);
    expect(ws.frames).toEqual([]); // no data frame of 'news'
  });

  it('subscribe, unsubscribe, subscribe of one channel end subscribed', async () => {
    const ws = await open();
    ws.send({ type: 'subscribe', channel: 'news', id: 1 });
    ws.send({ type: 'unsubscribe', channel: 'news', id: 2 });
    ws.send({ type: 'subscribe', channel: 'news', id: 3 });
    expect(await ws.next(3)).toEqual([
      { type: 'subscribed', channel: 'news', id: 1 },
      { type: 'unsubscribed', channel: 'news', id: 2 },
      { type: 'subscribed', channel: 'news', id: 3 },
    ]);
    ws.send({ type: 'action', channel: 'publish', id: 4 });
    expect(await ws.next(2)).toEqual([
      { type: 'data', channel: 'news', data: { n: 1 } },
      expect.objectContaining({ channel: 'publish', data: 1, id: 4 }),
    ]);
  });

  it('maxSubscriptions 1: of two subscribes running side by side, exactly one succeeds', async () => {
    const ws = await open(1);
    ws.send({ type: 'subscribe', channel: 'news', id: 1 });
    ws.send({ type: 'subscribe', channel: 'sports', id: 2 });
    const frames = await ws.next(2);
    const subscribed = frames.filter((frame) => (frame as { type: string }).type === 'subscribed');
    const refused = frames.filter((frame) => (frame as { code?: string }).code === 'TOO_MANY_SUBSCRIPTIONS');
    expect(subscribed).toHaveLength(1);
    expect(refused).toHaveLength(1);
    ws.send({ type: 'action', channel: 'subscriptions', id: 3 });
    const [reply] = (await ws.next()) as Array<{ data: string[] }>;
    expect(reply.data).toEqual([(subscribed[0] as { channel: string }).channel]);
  });
});
