import 'reflect-metadata';
import { setTimeout as sleep } from 'node:timers/promises';
import WebSocket from 'ws';
import { ChannelHub } from '../lib/channels/channel-hub.js';
import { SocketServer } from '../lib/gateway/socket-server.js';
import { SocketApiModule } from '../lib/index.js';
import { ProtocolService } from './fixtures/protocol-app.js';
import { startApp, type TestApp } from './support/test-app.js';
import { forceGc } from './support/force-gc.js';

/*
 * Connection churn: many short-lived clients connect, subscribe, sometimes act, and leave (cleanly
 * or by cutting the TCP connection, sometimes before their subscribe is answered). Afterwards the
 * server must hold nothing about them: no connection, no subscriber, and no heap growth beyond
 * noise. The server runs in this process (Jest's), so the heap measured is the server's plus
 * the test's own; forced GC comes from `global.gc` when Node runs with --expose-gc, else from V8
 * directly (see `forceGc`). 5,000 cycles by default (a leak of 420 bytes a connection fails the
 * 2 MB bound; one kept connection or subscriber fails the exact counts); `CHURN_SOAK=1` runs 100,000.
 */

const CYCLES = process.env.CHURN_SOAK === '1' ? 100_000 : 5_000;
const PARALLEL = 200;
const WARMUP_CYCLES = 1_000;
const HEAP_BOUND_MB = 2;
const CHANNELS = ['chat', 'news'];

/** heapUsed after full collections, once it has stopped shrinking. */
async function settledHeap(gc: () => void): Promise<number> {
  let last = Infinity;
  for (let i = 0; i < 10; i++) {
    await sleep(20);
    gc();
    const used = process.memoryUsage().heapUsed;
    if (used >= last - 64 * 1024) return Math.min(used, last);
    last = used;
  }
  return last;
}

const mb = (bytes: number) => `${(bytes / 1024 / 1024).toFixed(2)} MB`;

type Ending = 'close' | 'terminate';
interface Plan {
  channels: string[];
  /** Wait for the subscriptions (and any initial data) to be answered before leaving. */
  await: boolean;
  /** Publish to chat (reaching every chat subscriber of the moment) before leaving. */
  publish: boolean;
  ending: Ending;
}

/** Six kinds of cycles, in turn: clean and abrupt ends, before and after the replies. */
const PLANS: Plan[] = [
  { channels: ['chat'], await: true, publish: false, ending: 'close' },
  { channels: ['news'], await: true, publish: false, ending: 'terminate' },
  { channels: ['chat', 'news'], await: true, publish: true, ending: 'close' },
  { channels: ['chat'], await: false, publish: false, ending: 'terminate' },
  { channels: ['news', 'chat'], await: false, publish: false, ending: 'close' },
  { channels: ['chat', 'news'], await: true, publish: true, ending: 'terminate' },
];

/** Resolves when `count` frames satisfying `match` have arrived. */
function collect(
  socket: WebSocket,
  count: number,
  match: (message: Record<string, unknown>) => boolean,
): Promise<void> {
  return new Promise((resolve, reject) => {
    let seen = 0;
    const onMessage = (data: Buffer) => {
      const message = JSON.parse(data.toString()) as Record<string, unknown>;
      if (message.type === 'error') return done(new Error(`error frame: ${data.toString()}`));
      if (match(message) && ++seen === count) done();
    };
    const onClose = () => done(new Error('closed before the replies'));
    const timer = setTimeout(() => done(new Error(`timed out waiting for ${count} frame(s)`)), 10_000);
    const done = (error?: Error) => {
      clearTimeout(timer);
      socket.off('message', onMessage);
      socket.off('close', onClose);
      if (error) reject(error);
      else resolve();
    };
    socket.on('message', onMessage);
    socket.on('close', onClose);
  });
}

async function cycle(url: string, n: number): Promise<Ending> {
  const plan = PLANS[n % PLANS.length];
  const socket = new WebSocket(url);
  const closed = new Promise<void>((resolve) => socket.once('close', () => resolve()));
  await new Promise<void>((resolve, reject) => {
    socket.once('open', () => resolve());
    socket.once('error', reject);
  });
  // Subscribed replies, plus chat's initial data frame.
  const initialData = (m: Record<string, unknown>) =>
    m.type === 'data' &&
    m.channel === 'chat' &&
    (m.data as { message?: unknown } | undefined)?.message === `hello ${n}`;
  const replies = plan.await
    ? collect(
        socket,
        plan.channels.length + (plan.channels.includes('chat') ? 1 : 0),
        (m) => m.type === 'subscribed' || initialData(m),
      )
    : undefined;
  for (const channel of plan.channels) {
    socket.send(JSON.stringify({ type: 'subscribe', channel, data: { message: `hello ${n}` }, id: `${n}-${channel}` }));
  }
  await replies;
  if (plan.publish) {
    const reply = collect(socket, 1, (m) => m.type === 'action' && m.id === n);
    socket.send(JSON.stringify({ type: 'action', channel: 'send_message', data: { message: `from ${n}` }, id: n }));
    await reply;
  }
  if (plan.ending === 'close') socket.close(1000);
  else socket.terminate();
  await closed;
  return plan.ending;
}

/** Runs `cycles` cycles, `PARALLEL` at a time (a new one starts as soon as one ends). */
async function churn(url: string, cycles: number, firstN = 0): Promise<Record<Ending, number>> {
  const endings: Record<Ending, number> = { close: 0, terminate: 0 };
  let next = 0;
  const worker = async () => {
    while (next < cycles) {
      const n = firstN + next++;
      endings[await cycle(url, n)]++;
    }
  };
  await Promise.all(Array.from({ length: Math.min(PARALLEL, cycles) }, worker));
  return endings;
}

describe('connection churn', () => {
  let t: TestApp;

  beforeAll(async () => {
    t = await startApp({ imports: [SocketApiModule.forRoot()], providers: [ProtocolService] });
  });
  afterAll(() => t.close());

  /** What the library still holds about clients, once the server has seen every close. */
  async function leftovers(): Promise<{ connections: number; subscribers: Record<string, number> }> {
    const gateway = t.app.get(SocketServer);
    const hub = t.app.get(ChannelHub);
    const read = () => ({
      connections: gateway.connectionCount,
      subscribers: Object.fromEntries(CHANNELS.map((name) => [name, hub.get(name).subscriberCount])),
    });
    // The server learns of a close a moment after the client.
    for (let i = 0; i < 250; i++) {
      const state = read();
      if (state.connections === 0 && Object.values(state.subscribers).every((n) => n === 0)) return state;
      await sleep(20);
    }
    return read();
  }

  it(`${CYCLES} connect/subscribe/disconnect cycles leave no connection, no subscriber, and the heap within ${HEAP_BOUND_MB} MB of the start`, async () => {
    const gc = forceGc();
    const started = Date.now();

    // Warm-up: JIT, lazily created pools and caches, so the baseline is not taken cold.
    await churn(t.url, WARMUP_CYCLES, CYCLES);
    expect(await leftovers()).toEqual({ connections: 0, subscribers: { chat: 0, news: 0 } });
    const before = await settledHeap(gc);

    const endings = await churn(t.url, CYCLES);
    const churned = Date.now();
    expect(endings.close + endings.terminate).toBe(CYCLES);

    expect(await leftovers()).toEqual({ connections: 0, subscribers: { chat: 0, news: 0 } });
    const after = await settledHeap(gc);

    console.log(
      `churn: ${CYCLES} cycles (${endings.close} closed cleanly, ${endings.terminate} terminated; ${PARALLEL} in parallel) in ${churned - started} ms ` +
        `after ${WARMUP_CYCLES} warm-up cycles; heapUsed after GC: ${mb(before)} before, ${mb(after)} after ` +
        `(${after >= before ? '+' : '-'}${mb(Math.abs(after - before))}; bound ${HEAP_BOUND_MB} MB)`,
    );
    expect(after - before).toBeLessThan(HEAP_BOUND_MB * 1024 * 1024);
  }, 60_000);
});
