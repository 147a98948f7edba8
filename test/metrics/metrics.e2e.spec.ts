import 'reflect-metadata';
import { Registry } from 'prom-client';
import { useCleanup } from '../support/cleanup.js';
import { httpRequest } from '../support/http-request.js';
import { PLATFORMS } from '../support/platforms.js';
import { parsePrometheusText, seriesCount, valueOf, type Family } from '../support/prometheus-text.js';
import { startApp, type TestApp } from '../support/test-app.js';
import { eventually, sleep } from '../support/wait.js';
import { refusedUpgrade, TestClient } from '../support/ws-client.js';
import { metricsApp } from './metrics-app.js';

interface Reply {
  status: number;
  contentType: string | undefined;
  body: string;
}

async function get(app: TestApp, path: string, method = 'GET', headers: Record<string, string> = {}): Promise<Reply> {
  const reply = await httpRequest(Number(new URL(app.url).port), path, method, headers);
  return { status: reply.status, contentType: reply.headers['content-type'], body: reply.body };
}

async function scrape(app: TestApp, path = '/metrics'): Promise<Map<string, Family>> {
  const reply = await get(app, path);
  expect(reply.status).toBe(200);
  return parsePrometheusText(reply.body);
}

/** Every value of the registry as prom-client itself reports it, by series. */
async function registryValues(registry: Registry): Promise<Map<string, number>> {
  const values = new Map<string, number>();
  for (const metric of await registry.getMetricsAsJSON()) {
    for (const value of metric.values) {
      const name = (value as { metricName?: string }).metricName ?? metric.name;
      values.set(seriesKey(name, value.labels as Record<string, string | number>), value.value);
    }
  }
  return values;
}

function seriesKey(name: string, labels: Record<string, string | number>): string {
  const pairs = Object.entries(labels)
    .map(([label, value]) => `${label}=${String(value)}`)
    .sort();
  return `${name}{${pairs.join(',')}}`;
}

const bytes = (message: unknown) => Buffer.byteLength(JSON.stringify(message));

/** How many of an action's completed durations were within 25 ms, and how many in all. */
function completedWithin(families: Map<string, Family>, action: string): Array<number | undefined> {
  return ['0.025', '+Inf'].map((le) =>
    valueOf(families, 'socketapi_action_duration_seconds_bucket', { action, outcome: 'completed', le }),
  );
}

describe.each(PLATFORMS)('metrics on %s', (platform) => {
  const cleanup = useCleanup();

  it('a scrape after real traffic says what happened, as prom-client reports it', async () => {
    const registry = new Registry();
    const app = cleanup.track(await startApp(metricsApp({ metrics: { registry } }), undefined, platform));
    const alice = await TestClient.open(app.url);
    const bob = await TestClient.open(app.url);
    expect(await refusedUpgrade(app.url, { headers: { origin: 'https://elsewhere.example' } })).toBe(403);

    const sent: unknown[] = [
      { type: 'action', channel: 'echo', data: { hello: 'wörld' }, id: 1 },
      { type: 'action', channel: 'echo', data: 2, id: 2 },
      { type: 'action', channel: 'echo', id: 3 },
      { type: 'action', channel: 'fail', id: 4 },
      { type: 'action', channel: 'fail', id: 5 },
      { type: 'action', channel: 'no-such-action', id: 6 },
      { type: 'ping', id: 7 },
      { type: 'subscribe', channel: 'rooms/1', id: 8 },
      { type: 'subscribe', channel: 'news', recover: { offset: 0, epoch: 'e' }, id: 9 },
    ];
    for (const message of sent) alice.send(message);
    alice.send('not json');
    const replies = await alice.next(sent.length + 1);
    bob.send({ type: 'subscribe', channel: 'rooms/2', id: 1 });
    bob.send({ type: 'subscribe', channel: 'ticks', id: 2 });
    const [, ticks] = (await bob.next(2)) as Array<{ offset: number; epoch: string }>;
    bob.send({ type: 'action', channel: 'tick', data: { n: 1 }, id: 3 });
    bob.send({ type: 'action', channel: 'say', data: { room: '1', text: 'hi' }, id: 4 });
    await bob.next(3); // the tick's data, its reply, say's reply
    const [data] = await alice.next(1);
    expect(data).toEqual({ type: 'data', channel: 'rooms/1', data: { text: 'hi' } });
    const carol = await TestClient.open(app.url);
    carol.send({ type: 'subscribe', channel: 'ticks', recover: { offset: ticks.offset, epoch: ticks.epoch }, id: 1 });
    expect(await carol.next(2)).toContainEqual(expect.objectContaining({ type: 'subscribed', recovered: true }));

    const reply = await get(app, '/metrics');
    expect(reply.status).toBe(200);
    expect(reply.contentType).toBe(registry.contentType);
    const live = parsePrometheusText(reply.body);
    const at = (name: string, labels: Record<string, string> = {}) => valueOf(live, `socketapi_${name}`, labels);
    expect(at('connections')).toBe(3);
    expect(at('connections_accepted_total')).toBe(3);
    expect(at('connections_refused_total', { reason: 'origin_not_allowed' })).toBe(1);
    expect(at('connections_refused_total', { reason: 'unauthorized' })).toBe(0);
    expect(at('subscriptions', { channel: 'rooms/:roomId' })).toBe(2);
    expect(at('subscriptions', { channel: 'news' })).toBe(1);
    expect(at('subscriptions', { channel: 'ticks' })).toBe(2);
    expect(at('frames_received_total', { type: 'action' })).toBe(6 + 2 + 0);
    expect(at('frames_received_total', { type: 'ping' })).toBe(1);
    expect(at('frames_received_total', { type: 'invalid' })).toBe(1);
    expect(at('frames_received_total', { type: 'subscribe' })).toBe(2 + 2 + 1);
    const aliceActionBytes = sent.slice(0, 6).reduce<number>((sum, message) => sum + bytes(message), 0);
    const bobActionBytes =
      bytes({ type: 'action', channel: 'tick', data: { n: 1 }, id: 3 }) +
      bytes({ type: 'action', channel: 'say', data: { room: '1', text: 'hi' }, id: 4 });
    expect(at('received_bytes_total', { type: 'action' })).toBe(aliceActionBytes + bobActionBytes);
    expect(at('received_bytes_total', { type: 'invalid' })).toBe('not json'.length);
    expect(at('frames_sent_total', { type: 'action' })).toBe(3 + 2);
    expect(at('frames_sent_total', { type: 'error' })).toBe(2 + 1 + 1);
    expect(at('frames_sent_total', { type: 'pong' })).toBe(1);
    expect(at('frames_sent_total', { type: 'data' })).toBe(3); // rooms/1 to alice, the tick to bob, carol's replay
    expect(at('sent_bytes_total', { type: 'pong' })).toBe(bytes({ type: 'pong', id: 7 }));
    const errorsToAlice = replies.filter((frame) => (frame as { type: string }).type === 'error');
    expect(at('sent_bytes_total', { type: 'error' })).toBe(errorsToAlice.reduce<number>((sum, f) => sum + bytes(f), 0));
    expect(at('errors_sent_total', { code: 'BAD_REQUEST' })).toBe(2);
    expect(at('errors_sent_total', { code: 'ACTION_NOT_FOUND' })).toBe(1);
    expect(at('errors_sent_total', { code: 'INVALID_MESSAGE' })).toBe(1);
    expect(at('recoveries_total', { recovered: 'false' })).toBe(1);
    expect(at('recoveries_total', { recovered: 'true' })).toBe(1);
    const duration = (suffix: string, action: string, outcome: string, le?: string) =>
      at(`action_duration_seconds_${suffix}`, le === undefined ? { action, outcome } : { action, outcome, le });
    expect(duration('count', 'echo', 'completed')).toBe(3);
    expect(duration('count', 'echo', 'error')).toBe(0);
    expect(duration('count', 'fail', 'error')).toBe(2);
    // An action that completes later (it awaits the history store) is timed to its reply too.
    expect(duration('count', 'tick', 'completed')).toBe(1);
    expect(duration('count', 'tick', 'error')).toBe(0);
    expect(duration('bucket', 'fail', 'error', '+Inf')).toBe(2);
    expect(duration('sum', 'fail', 'error')).toBeGreaterThan(0);
    // Nothing for a name no handler has: its frame is an ACTION_NOT_FOUND error, no series.
    expect(reply.body).not.toContain('no-such-action');
    // Buckets are cumulative, up to the count.
    const echoBuckets = live
      .get('socketapi_action_duration_seconds')!
      .samples.filter((sample) => sample.name.endsWith('_bucket') && sample.labels.action === 'echo')
      .filter((sample) => sample.labels.outcome === 'completed')
      .map((sample) => sample.value);
    expect(echoBuckets).toHaveLength(15);
    expect(echoBuckets).toEqual([...echoBuckets].sort((a, b) => a - b));
    expect(echoBuckets.at(-1)).toBe(3);

    // The text says what prom-client's own JSON says, series by series.
    const json = await registryValues(registry);
    const parsed = new Map<string, number>();
    for (const family of live.values()) {
      for (const sample of family.samples) parsed.set(seriesKey(sample.name, sample.labels), sample.value);
    }
    expect(parsed).toEqual(json);
    expect(live.get('socketapi_action_duration_seconds')?.type).toBe('histogram');
    expect(live.get('socketapi_frames_sent_total')?.type).toBe('counter');
    expect(live.get('socketapi_connections')?.type).toBe('gauge');

    // Closes: by the client's code, and one it chose outside the known set.
    alice.socket.close(1000);
    bob.socket.close(4321);
    await Promise.all([alice.closed(), bob.closed()]);
    const after = await eventually(
      () => scrape(app),
      (families) => valueOf(families, 'socketapi_connections') === 1,
    );
    expect(valueOf(after, 'socketapi_closes_total', { code: '1000' })).toBe(1);
    expect(valueOf(after, 'socketapi_closes_total', { code: 'other' })).toBe(1);
    expect(valueOf(after, 'socketapi_subscriptions', { channel: 'rooms/:roomId' })).toBe(0);
    expect(after.get('socketapi_closes_total')?.samples.map((sample) => sample.labels.code)).toEqual([
      '1000',
      '1001',
      '1005',
      '1006',
      '1008',
      '1009',
      '1011',
      '1013',
      'other',
    ]);
  });

  it('times each action to its reply, at once or later, by outcome; a declared action has its series from the start', async () => {
    const app = cleanup.track(await startApp(metricsApp({ metrics: true }), undefined, platform));
    const duration = (families: Map<string, Family>, action: string, outcome: string) =>
      valueOf(families, 'socketapi_action_duration_seconds_count', { action, outcome });
    const before = await scrape(app);
    for (const action of ['echo', 'fail', 'failLater', 'tick', 'say']) {
      expect([action, duration(before, action, 'completed'), duration(before, action, 'error')]).toEqual([
        action,
        0,
        0,
      ]);
    }

    const client = await TestClient.open(app.url);
    client.send({ type: 'action', channel: 'failLater', id: 1 });
    client.send({ type: 'action', channel: 'echo', data: 1, id: 2 });
    client.send({ type: 'action', channel: 'fail', id: 3 });
    client.send({ type: 'action', channel: 'tick', data: { n: 1 }, id: 4 });
    const replies = (await client.next(4)) as Array<{ type: string; id: number }>;
    expect(replies.map(({ type, id }) => `${id}:${type}`).sort()).toEqual([
      '1:error',
      '2:action',
      '3:error',
      '4:action',
    ]);

    const after = await scrape(app);
    expect(duration(after, 'failLater', 'error')).toBe(1);
    expect(duration(after, 'failLater', 'completed')).toBe(0);
    expect(duration(after, 'echo', 'completed')).toBe(1);
    expect(duration(after, 'fail', 'error')).toBe(1);
    expect(duration(after, 'fail', 'completed')).toBe(0);
    expect(duration(after, 'tick', 'completed')).toBe(1);
    // The one that awaited 5 ms before failing was timed to its error frame.
    expect(
      valueOf(after, 'socketapi_action_duration_seconds_sum', { action: 'failLater', outcome: 'error' }),
    ).toBeGreaterThanOrEqual(0.004);
  });

  it('actions read together are each timed on their own: neither a slow action nor a slow subscribe before one counts toward it', async () => {
    const app = cleanup.track(await startApp(metricsApp({ metrics: true }), undefined, platform));
    const client = await TestClient.open(app.url);
    client.sendTogether([
      { type: 'action', channel: 'spin', data: { ms: 30 }, id: 1 },
      { type: 'action', channel: 'echo', data: 1, id: 2 },
      { type: 'subscribe', channel: 'slow', id: 3 },
      { type: 'action', channel: 'noop', id: 4 },
    ]);
    const replies = (await client.next(4)) as Array<{ type: string; id: number }>;
    expect(replies.map(({ type, id }) => `${id}:${type}`)).toEqual([
      '1:action',
      '2:action',
      '3:subscribed',
      '4:action',
    ]);

    const after = await scrape(app);
    const seconds = (action: string) =>
      valueOf(after, 'socketapi_action_duration_seconds_sum', { action, outcome: 'completed' });
    expect(seconds('spin')).toBeGreaterThanOrEqual(0.029);
    // Each well under the 30 ms spent just before it; a generous bound for a loaded machine.
    expect(seconds('echo')).toBeLessThan(0.015);
    expect(seconds('noop')).toBeLessThan(0.015);
  });

  it('what happens between two reads from a socket counts toward no action: neither waiting nor the end of an action that awaited', async () => {
    const app = cleanup.track(await startApp(metricsApp({ metrics: true }), undefined, platform));
    const client = await TestClient.open(app.url);
    client.send({ type: 'action', channel: 'failLater', id: 1 });
    client.send({ type: 'action', channel: 'echo', data: 1, id: 2 });
    expect(((await client.next(2)) as Array<{ id: number }>).map(({ id }) => id).sort()).toEqual([1, 2]);
    await sleep(60);
    client.send({ type: 'action', channel: 'noop', id: 3 });
    await client.next(1);
    await sleep(60);
    client.send({ type: 'action', channel: 'echo', data: 2, id: 4 });
    await client.next(1);

    const after = await scrape(app);
    const completed = (suffix: string, action: string) =>
      valueOf(after, `socketapi_action_duration_seconds_${suffix}`, { action, outcome: 'completed' });
    expect([completed('count', 'noop'), completed('count', 'echo')]).toEqual([1, 2]);
    // Each well under the 60 ms waited before it (or after it); a generous bound for a loaded machine.
    expect(completed('sum', 'noop')).toBeLessThan(0.015);
    expect(completed('sum', 'echo')).toBeLessThan(0.015);
  });

  it('actions of one name read together are timed as a run: each counted, and their durations summed exactly', async () => {
    const app = cleanup.track(await startApp(metricsApp({ metrics: true }), undefined, platform));
    const client = await TestClient.open(app.url);
    client.sendTogether([1, 2, 3, 4].map((id) => ({ type: 'action', channel: 'spin', data: { ms: 10 }, id })));
    await client.next(4);

    const after = await scrape(app);
    const completed = (suffix: string) =>
      valueOf(after, `socketapi_action_duration_seconds_${suffix}`, { action: 'spin', outcome: 'completed' });
    expect(completed('count')).toBe(4);
    expect(completed('sum')).toBeGreaterThanOrEqual(0.039);
    expect(completed('sum')).toBeLessThan(0.12);
  });

  it('a run holds at most 16 calls: a slow one read with many fast ones is shared by 16 at most', async () => {
    const app = cleanup.track(await startApp(metricsApp({ metrics: true }), undefined, platform));
    const client = await TestClient.open(app.url);
    const spin = (ms: number, id: number) => ({ type: 'action', channel: 'spin', data: { ms }, id });
    client.sendTogether([spin(60, 0), ...Array.from({ length: 32 }, (_, index) => spin(0, index + 1))]);
    await client.next(33);

    // The first 16 share 60 ms (3.75 ms each, above 2.5 ms); the 17 after them took almost nothing.
    const after = await scrape(app);
    const spins = (le: string) =>
      valueOf(after, 'socketapi_action_duration_seconds_bucket', { action: 'spin', outcome: 'completed', le });
    expect([spins('0.0025'), spins('0.025'), spins('+Inf')]).toEqual([17, 33, 33]);
  });

  it('a run ends at any other frame: another action, an unknown one, a ping, a subscribe, one that is not JSON', async () => {
    const app = cleanup.track(await startApp(metricsApp({ metrics: true }), undefined, platform));
    const client = await TestClient.open(app.url);
    const between = [
      { type: 'action', channel: 'echo', data: 1, id: 2 },
      { type: 'action', channel: 'nope', id: 2 },
      { type: 'ping', id: 2 },
      { type: 'subscribe', channel: 'news', id: 2 },
      '{not json',
    ];
    for (const frame of between) {
      client.sendTogether([
        { type: 'action', channel: 'spin', data: { ms: 60 }, id: 1 },
        frame,
        { type: 'action', channel: 'spin', data: { ms: 0 }, id: 3 },
      ]);
      await client.next(3);
    }

    // Had a frame not ended the run, the spin after it would share the 60 ms of the one before.
    expect(completedWithin(await scrape(app), 'spin')).toEqual([5, 10]);
  });

  it('an action that awaits is timed alone to its reply; those answered at once beside it are not charged its wait', async () => {
    const app = cleanup.track(await startApp(metricsApp({ metrics: true }), undefined, platform));
    const client = await TestClient.open(app.url);
    const wait = (id: number, data: { ms?: number; busy?: number }) => ({ type: 'action', channel: 'wait', data, id });
    client.sendTogether([wait(1, {}), wait(2, { ms: 40 }), wait(3, {}), wait(4, {})]);
    await client.next(4);
    expect(completedWithin(await scrape(app), 'wait')).toEqual([3, 4]);

    // Once one has awaited, each is timed from a clock read of its own: the one that awaits 1 ms is
    // not charged the 80 ms of work before it in the same read.
    client.sendTogether([wait(5, { busy: 80 }), wait(6, { ms: 1 })]);
    await client.next(2);
    expect(completedWithin(await scrape(app), 'wait')).toEqual([4, 6]);
  });

  it("frames run from a connection's queue are timed as they run, not up to a later read", async () => {
    const app = cleanup.track(await startApp(metricsApp({ metrics: true, concurrency: 1 }), undefined, platform));
    const client = await TestClient.open(app.url);
    // `echo` waits its turn behind the action that awaits, and runs from the queue 5 ms later.
    client.sendTogether([
      { type: 'action', channel: 'failLater', id: 1 },
      { type: 'action', channel: 'echo', data: 1, id: 2 },
    ]);
    await client.next(2);
    await sleep(60);
    client.send({ type: 'action', channel: 'echo', data: 2, id: 3 });
    await client.next(1);

    const after = await scrape(app);
    const completed = (suffix: string) =>
      valueOf(after, `socketapi_action_duration_seconds_${suffix}`, { action: 'echo', outcome: 'completed' });
    expect(completed('count')).toBe(2);
    // Well under the 60 ms between them; a generous bound for a loaded machine.
    expect(completed('sum')).toBeLessThan(0.015);
  });

  it('1,000 concrete channels of a pattern and 1,000 unknown actions add no series', async () => {
    const app = cleanup.track(
      await startApp(metricsApp({ metrics: true, maxSubscriptions: 2000 }), undefined, platform),
    );
    const client = cleanup.track(await TestClient.open(app.url));
    const subscribe = async (from: number, to: number) => {
      for (let room = from; room < to; room++) client.send({ type: 'subscribe', channel: `rooms/${room}`, id: room });
      await client.next(to - from, 20_000);
    };
    const unknown = async (from: number, to: number) => {
      for (let n = from; n < to; n++) client.send({ type: 'action', channel: `made-up/${n}`, id: n });
      await client.next(to - from, 20_000);
    };
    await subscribe(0, 10);
    await unknown(0, 10);
    const few = await scrape(app);
    await subscribe(10, 1000);
    await unknown(10, 1000);
    const many = await scrape(app);
    expect(valueOf(few, 'socketapi_subscriptions', { channel: 'rooms/:roomId' })).toBe(10);
    expect(valueOf(many, 'socketapi_subscriptions', { channel: 'rooms/:roomId' })).toBe(1000);
    expect(valueOf(many, 'socketapi_errors_sent_total', { code: 'ACTION_NOT_FOUND' })).toBe(1000);
    expect(seriesCount(many)).toBe(seriesCount(few));
    const text = (await get(app, '/metrics')).body;
    expect(text).not.toMatch(/rooms\/\d/);
    expect(text).not.toContain('made-up');
  });

  it('answers GET and HEAD only, and asks for the token when one is set', async () => {
    const app = cleanup.track(
      await startApp(metricsApp({ metrics: { path: '/internal/metrics', token: 's3cret' } }), undefined, platform),
    );
    expect((await get(app, '/internal/metrics')).status).toBe(401);
    expect((await get(app, '/internal/metrics', 'GET', { authorization: 'Bearer wrong' })).status).toBe(401);
    const ok = await get(app, '/internal/metrics?x=1', 'GET', { authorization: 'Bearer s3cret' });
    expect(ok.status).toBe(200);
    expect(ok.contentType).toBe('text/plain; version=0.0.4; charset=utf-8');
    expect(parsePrometheusText(ok.body).has('socketapi_connections')).toBe(true);
    const head = await get(app, '/internal/metrics', 'HEAD', { authorization: 'Bearer s3cret' });
    expect([head.status, head.body]).toEqual([200, '']);
    expect((await get(app, '/internal/metrics', 'POST', { authorization: 'Bearer s3cret' })).status).toBe(405);
    // The default path is the app's, not ours.
    expect((await get(app, '/metrics')).status).toBe(404);
  });

  it('off, or with `path: false`, nothing is served at /metrics', async () => {
    const off = cleanup.track(await startApp(metricsApp({}), undefined, platform));
    expect((await get(off, '/metrics')).status).toBe(404);
    const registry = new Registry();
    const unserved = cleanup.track(
      await startApp(metricsApp({ metrics: { registry, path: false } }), undefined, platform),
    );
    expect((await get(unserved, '/metrics')).status).toBe(404);
    // Kept all the same, in the app's registry, for the app to serve.
    const client = cleanup.track(await TestClient.open(unserved.url));
    await eventually(
      async () => parsePrometheusText(await registry.metrics()),
      (families) => valueOf(families, 'socketapi_connections') === 1,
    );
    await client.close();
  });
});
