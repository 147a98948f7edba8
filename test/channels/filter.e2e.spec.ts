import 'reflect-metadata';
import { Injectable } from '@nestjs/common';
import { Expose } from 'class-transformer';
import {
  Channel,
  ChannelFamily,
  ChannelParam,
  Connection,
  Data,
  InjectChannel,
  SocketAction,
  SocketApiModule,
  SocketChannel,
  type SocketConnection,
} from '../../lib/index.js';
import { CapturingLogger } from '../support/capturing-logger.js';
import { useCleanup } from '../support/cleanup.js';
import { startApp, type TestApp } from '../support/test-app.js';
import { sleep } from '../support/wait.js';
import { TestClient } from '../support/ws-client.js';

interface Quote {
  symbol: string;
  price: number;
}

/** A publication serialized through class-transformer: `price` is read (a fixed number of times) per serialization. */
class CountedQuote {
  static reads = 0;
  constructor(readonly symbol: string) {}

  @Expose()
  get price(): number {
    CountedQuote.reads++;
    return 1;
  }
}

@Injectable()
class Feeds {
  constructor(
    @InjectChannel('prices') private readonly prices: Channel<Quote | CountedQuote>,
    @InjectChannel('direct') private readonly direct: Channel<{ to: string; text: string }>,
    @InjectChannel('alerts/:level') private readonly alerts: ChannelFamily<{ severity: number }, { level: string }>,
    @InjectChannel('fragile') private readonly fragile: Channel<number>,
  ) {}

  /** By the data each subscriber subscribed with. */
  @SocketChannel('prices', {
    filter: (payload, { data }) => (payload as Quote).symbol === (data as { symbol: string }).symbol,
  })
  subscribePrices(@Data('symbol') symbol: string) {
    return symbol;
  }

  /** By the connection. */
  @SocketChannel('direct', { filter: (payload, { connection }) => (payload as { to: string }).to === connection.id })
  subscribeDirect() {}

  /** By the concrete channel's parameters (and its name). */
  @SocketChannel('alerts/:level', {
    filter: (payload, { params, channel }) =>
      channel === `alerts/${params.level}` && (payload as { severity: number }).severity >= Number(params.level),
  })
  subscribeAlerts(@ChannelParam('level') level: string) {
    return level;
  }

  @SocketChannel('fragile', {
    filter: (_payload, { data }) => {
      if ((data as { explode?: boolean } | undefined)?.explode) throw new Error('filter exploded');
      return true;
    },
  })
  subscribeFragile() {}

  @SocketAction('whoami')
  whoami(@Connection() connection: SocketConnection) {
    return connection.id;
  }

  @SocketAction('quote')
  quote(@Data('symbol') symbol: string) {
    this.prices.publish({ symbol, price: 10 });
  }

  @SocketAction('counted_quote')
  countedQuote(@Data('symbol') symbol: string) {
    CountedQuote.reads = 0;
    this.prices.publish(new CountedQuote(symbol));
    return CountedQuote.reads;
  }

  @SocketAction('send_direct')
  sendDirect(@Data('to') to: string) {
    this.direct.publish({ to, text: 'psst' });
  }

  @SocketAction('alert')
  alert(@Data('level') level: string, @Data('severity') severity: number) {
    this.alerts.to({ level }).publish({ severity });
  }

  @SocketAction('poke')
  poke() {
    this.fragile.publish(1);
  }
}

const cleanup = useCleanup();
let ids = 0;

async function openApp(logger?: CapturingLogger): Promise<TestApp> {
  return cleanup.track(
    await startApp({ imports: [SocketApiModule.forRoot({ heartbeat: false })], providers: [Feeds] }, (app) => {
      if (logger) app.useLogger(logger);
    }),
  );
}

async function connect(app: TestApp): Promise<TestClient> {
  const client = await TestClient.open(app.url);
  cleanup.add(() => client.socket.terminate());
  return client;
}

/** Sends a frame with a fresh id; resolves with its answer (frames before it are left in place). */
async function request(client: TestClient, frame: Record<string, unknown>): Promise<Record<string, unknown>> {
  const id = ++ids;
  client.send({ ...frame, id });
  const isAnswer = (received: unknown) => (received as { id?: unknown }).id === id;
  await client.waitFor(() => client.frames.some(isAnswer));
  return client.frames.splice(client.frames.findIndex(isAnswer), 1)[0] as Record<string, unknown>;
}

/** Data frames received so far (taken out of the queue). */
function dataFrames(client: TestClient): unknown[] {
  const frames = client.frames.filter((frame) => (frame as { type: string }).type === 'data');
  client.frames.length = 0;
  return frames;
}

describe('per-subscriber filter', () => {
  it('decides per subscriber from the data it subscribed with', async () => {
    const app = await openApp();
    const [acme, globex, publisher] = await Promise.all([connect(app), connect(app), connect(app)]);
    await request(acme, { type: 'subscribe', channel: 'prices', data: { symbol: 'ACME' } });
    await request(globex, { type: 'subscribe', channel: 'prices', data: { symbol: 'GLBX' } });
    await request(publisher, { type: 'action', channel: 'quote', data: { symbol: 'ACME' } });
    await request(publisher, { type: 'action', channel: 'quote', data: { symbol: 'GLBX' } });
    await acme.waitFor(() => acme.frames.length === 1);
    await globex.waitFor(() => globex.frames.length === 1);
    await sleep(50);
    expect(dataFrames(acme)).toEqual([{ type: 'data', channel: 'prices', data: { symbol: 'ACME', price: 10 } }]);
    expect(dataFrames(globex)).toEqual([{ type: 'data', channel: 'prices', data: { symbol: 'GLBX', price: 10 } }]);
  });

  it('a resubscribe with other data changes what the filter sees', async () => {
    const app = await openApp();
    const [client, publisher] = await Promise.all([connect(app), connect(app)]);
    await request(client, { type: 'subscribe', channel: 'prices', data: { symbol: 'ACME' } });
    await request(client, { type: 'subscribe', channel: 'prices', data: { symbol: 'GLBX' } });
    await request(publisher, { type: 'action', channel: 'quote', data: { symbol: 'ACME' } });
    await request(publisher, { type: 'action', channel: 'quote', data: { symbol: 'GLBX' } });
    await client.waitFor(() => client.frames.length === 1);
    await sleep(50);
    expect(dataFrames(client)).toEqual([{ type: 'data', channel: 'prices', data: { symbol: 'GLBX', price: 10 } }]);
  });

  it('decides per subscriber from its connection', async () => {
    const app = await openApp();
    const [first, second] = await Promise.all([connect(app), connect(app)]);
    await request(first, { type: 'subscribe', channel: 'direct' });
    await request(second, { type: 'subscribe', channel: 'direct' });
    const secondId = (await request(second, { type: 'action', channel: 'whoami' })).data;
    await request(first, { type: 'action', channel: 'send_direct', data: { to: secondId } });
    expect(await second.next()).toEqual([{ type: 'data', channel: 'direct', data: { to: secondId, text: 'psst' } }]);
    await sleep(50);
    expect(first.frames).toEqual([]);
  });

  it("decides per subscriber from the concrete channel's parameters", async () => {
    const app = await openApp();
    const [low, high, publisher] = await Promise.all([connect(app), connect(app), connect(app)]);
    await request(low, { type: 'subscribe', channel: 'alerts/1' });
    await request(high, { type: 'subscribe', channel: 'alerts/5' });
    for (const level of ['1', '5']) {
      for (const severity of [1, 3, 7]) {
        await request(publisher, { type: 'action', channel: 'alert', data: { level, severity } });
      }
    }
    await low.waitFor(() => low.frames.length === 3);
    await high.waitFor(() => high.frames.length === 1);
    await sleep(50);
    expect(dataFrames(low).map((frame) => (frame as { data: unknown }).data)).toEqual([
      { severity: 1 },
      { severity: 3 },
      { severity: 7 },
    ]);
    expect(dataFrames(high)).toEqual([{ type: 'data', channel: 'alerts/5', data: { severity: 7 } }]);
  });

  it('a filter that throws counts as false for that subscriber, and is logged once, not once per publication', async () => {
    const logger = new CapturingLogger();
    const app = await openApp(logger);
    const [calm, exploding, publisher] = await Promise.all([connect(app), connect(app), connect(app)]);
    await request(calm, { type: 'subscribe', channel: 'fragile' });
    await request(exploding, { type: 'subscribe', channel: 'fragile', data: { explode: true } });
    await request(publisher, { type: 'action', channel: 'poke' });
    await request(publisher, { type: 'action', channel: 'poke' });
    await calm.waitFor(() => calm.frames.length === 2);
    await sleep(50);
    expect(exploding.frames).toEqual([]);
    const lines = logger.errors.filter((line) => line.message.includes("The filter of channel 'fragile' threw"));
    expect(lines).toHaveLength(1);
    expect(lines[0].details).toContain('filter exploded');
  });

  it('serializes a publication once, however many subscribers its filter is asked about', async () => {
    const app = await openApp();
    const publisher = await connect(app);
    // What one serialization reads (class-transformer reads a getter more than once): with no subscriber.
    const once = (await request(publisher, { type: 'action', channel: 'counted_quote', data: { symbol: 'ACME' } }))
      .data;
    expect(once).toBeGreaterThan(0);
    const subscribers = await Promise.all(Array.from({ length: 50 }, () => connect(app)));
    await Promise.all(
      subscribers.map((client, index) =>
        request(client, { type: 'subscribe', channel: 'prices', data: { symbol: index % 2 ? 'ACME' : 'GLBX' } }),
      ),
    );
    const reply = await request(publisher, { type: 'action', channel: 'counted_quote', data: { symbol: 'ACME' } });
    expect(reply.data).toBe(once);
    const acme = subscribers.filter((_client, index) => index % 2);
    await Promise.all(acme.map((client) => client.waitFor(() => client.frames.length === 1)));
    await sleep(50);
    for (const client of subscribers) {
      expect(dataFrames(client)).toEqual(
        acme.includes(client) ? [{ type: 'data', channel: 'prices', data: { symbol: 'ACME', price: 1 } }] : [],
      );
    }
  });
});
