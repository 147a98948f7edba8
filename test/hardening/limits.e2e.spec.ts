import 'reflect-metadata';
import { Injectable } from '@nestjs/common';
import { Data, SocketAction, SocketApiModule, SocketChannel, type SocketApiModuleOptions } from '../../lib/index.js';
import { useCleanup } from '../support/cleanup.js';
import { startApp, type TestApp } from '../support/test-app.js';
import { TestClient } from '../support/ws-client.js';

const cleanup = useCleanup();

@Injectable()
class Limited {
  @SocketAction('echo')
  echo(@Data('text') text: string) {
    return text;
  }

  @SocketAction('slow')
  async slow(@Data('ms') ms: number) {
    await new Promise((resolve) => setTimeout(resolve, ms));
    return ms;
  }

  @SocketChannel('a') a() {}
  @SocketChannel('b') b() {}
  @SocketChannel('c') c() {}
}

async function app(options: SocketApiModuleOptions): Promise<TestApp> {
  return startApp({ imports: [SocketApiModule.forRoot(options)], providers: [Limited] });
}

const rateLimited = (id: number, channel = 'echo') => ({
  type: 'error',
  code: 'RATE_LIMITED',
  message: 'Too many requests.',
  channel,
  id,
});
const echoed = (id: number) => ({ type: 'action', channel: 'echo', status: 'completed', data: 'x', id });

describe('maximum frame size', () => {
  it('takes a frame of exactly maxPayload bytes, closes with 1009 at one byte more', async () => {
    const t = cleanup.track(await app({ maxPayload: 200 }));
    const client = await TestClient.open(t.url);
    const frame = (length: number) => {
      const base = JSON.stringify({ type: 'action', channel: 'echo', data: { text: '' }, id: 1 });
      return base.replace('"text":""', `"text":"${'y'.repeat(length - base.length)}"`);
    };
    expect(frame(200)).toHaveLength(200);
    client.send(frame(200));
    expect(await client.next()).toEqual([expect.objectContaining({ type: 'action', status: 'completed', id: 1 })]);
    client.send(frame(201));
    expect(await client.closed()).toBe(1009);
  });

  it('defaults to 64 KiB', async () => {
    const t = cleanup.track(await app({}));
    const client = await TestClient.open(t.url);
    client.send({ type: 'action', channel: 'echo', data: { text: 'y'.repeat(64 * 1024) } });
    expect(await client.closed()).toBe(1009);
  });
});

describe('rate limit (token bucket)', () => {
  it('answers the burst, refuses the excess with RATE_LIMITED and its id, refills over time', async () => {
    const t = cleanup.track(await app({ rateLimit: { burst: 5, perSecond: 10 } }));
    const client = await TestClient.open(t.url);
    for (let id = 1; id <= 7; id++) client.send({ type: 'action', channel: 'echo', data: { text: 'x' }, id });
    expect(await client.next(7)).toEqual([
      echoed(1),
      echoed(2),
      echoed(3),
      echoed(4),
      echoed(5),
      rateLimited(6),
      rateLimited(7),
    ]);
    await new Promise((resolve) => setTimeout(resolve, 250));
    client.send({ type: 'action', channel: 'echo', data: { text: 'x' }, id: 8 });
    expect(await client.next()).toEqual([echoed(8)]);
  });

  it('answers refused frames in their turn, after the replies they follow', async () => {
    const t = cleanup.track(await app({ rateLimit: { burst: 2, perSecond: 1 } }));
    const client = await TestClient.open(t.url);
    client.send({ type: 'action', channel: 'slow', data: { ms: 100 }, id: 1 });
    client.send({ type: 'action', channel: 'slow', data: { ms: 1 }, id: 2 });
    client.send({ type: 'subscribe', channel: 'a', id: 3 });
    client.send('not json');
    expect(await client.next(4)).toEqual([
      { type: 'action', channel: 'slow', status: 'completed', data: 100, id: 1 },
      { type: 'action', channel: 'slow', status: 'completed', data: 1, id: 2 },
      rateLimited(3, 'a'),
      { type: 'error', code: 'RATE_LIMITED', message: 'Too many requests.' },
    ]);
  });

  it('closes a connection that keeps flooding with 1008; others are untouched', async () => {
    // perSecond 0.01: no token refills while the test runs, so the count of refusals is exact.
    const t = cleanup.track(await app({ rateLimit: { burst: 3, perSecond: 0.01, closeAfter: 10 } }));
    const flooder = await TestClient.open(t.url);
    const neighbour = await TestClient.open(t.url);
    for (let id = 1; id <= 50; id++) flooder.send({ type: 'ping', id });
    expect(await flooder.closed()).toBe(1008);
    // The burst is answered, then exactly closeAfter refusals, then the close: not an empty list.
    const refusal = (id: number) => ({ type: 'error', code: 'RATE_LIMITED', message: 'Too many requests.', id });
    const pongs = [1, 2, 3].map((id) => ({ type: 'pong', id }));
    expect(flooder.frames).toEqual([...pongs, ...[4, 5, 6, 7, 8, 9, 10, 11, 12, 13].map(refusal)]);
    neighbour.send({ type: 'ping', id: 'n' });
    expect(await neighbour.next()).toEqual([{ type: 'pong', id: 'n' }]);
  });
});

describe('subscriptions per connection', () => {
  it('refuses one past maxSubscriptions with TOO_MANY_SUBSCRIPTIONS; resubscribing or leaving one is fine', async () => {
    const t = cleanup.track(await app({ maxSubscriptions: 2 }));
    const client = await TestClient.open(t.url);
    for (const [id, channel] of [
      [1, 'a'],
      [2, 'b'],
      [3, 'c'],
      [4, 'a'],
    ] as const)
      client.send({ type: 'subscribe', channel, id });
    expect(await client.next(4)).toEqual([
      { type: 'subscribed', channel: 'a', id: 1 },
      { type: 'subscribed', channel: 'b', id: 2 },
      { type: 'error', code: 'TOO_MANY_SUBSCRIPTIONS', message: 'Too many subscriptions.', channel: 'c', id: 3 },
      { type: 'subscribed', channel: 'a', id: 4 },
    ]);
    client.send({ type: 'unsubscribe', channel: 'b' });
    client.send({ type: 'subscribe', channel: 'c', id: 5 });
    expect(await client.next(2)).toEqual([
      { type: 'unsubscribed', channel: 'b' },
      { type: 'subscribed', channel: 'c', id: 5 },
    ]);
  });
});

describe('messages waiting per connection', () => {
  it('refuses frames past maxPendingMessages with RATE_LIMITED, in order, and serves the rest', async () => {
    const t = cleanup.track(await app({ maxPendingMessages: 3 }));
    const client = await TestClient.open(t.url);
    client.send({ type: 'action', channel: 'slow', data: { ms: 100 }, id: 0 });
    for (let id = 1; id <= 5; id++) client.send({ type: 'action', channel: 'echo', data: { text: 'x' }, id });
    expect(await client.next(6)).toEqual([
      { type: 'action', channel: 'slow', status: 'completed', data: 100, id: 0 },
      echoed(1),
      echoed(2),
      echoed(3),
      rateLimited(4),
      rateLimited(5),
    ]);
    client.send({ type: 'ping', id: 6 });
    expect(await client.next()).toEqual([{ type: 'pong', id: 6 }]);
  });

  it('closes with 1008 a client that floods far past the bound', async () => {
    const t = cleanup.track(await app({ maxPendingMessages: 2 }));
    const client = await TestClient.open(t.url);
    client.send({ type: 'action', channel: 'slow', data: { ms: 200 }, id: 0 });
    for (let id = 1; id <= 20; id++) client.send({ type: 'ping', id });
    expect(await client.closed()).toBe(1008);
  });
});
