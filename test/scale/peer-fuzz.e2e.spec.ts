import 'reflect-metadata';
import { createHmac } from 'node:crypto';
import fc from 'fast-check';
import { Redis } from 'ioredis';
import { RedisBroker, SocketApiModule, type Channel } from '../../lib/index.js';
import { ChannelHub } from '../../lib/channels/channel-hub.js';
import { useCleanup } from '../support/cleanup.js';
import { describeWithRedis, RedisServer } from '../support/redis-server.js';
import { eventually } from '../support/wait.js';
import type { TestClient } from '../support/ws-client.js';
import { redisSubscribers, startInstance, subscriber, takeData } from './scale-app.js';

/*
 * Property-based fuzzing of what peers send: messages PUBLISHed straight to Redis on the app's
 * channels, and requests to the HTTP bridge. Each generated input carries the outcome the README
 * promises for it; the properties are that exactly the valid publications reach subscribers (and
 * server-side observers), that everything else is counted as rejected or answered with its status,
 * and that the process lives on.
 */

const RUNS = 25;
const SENDER = 'fedcba9876543210';
const SECRET = 'fuzz secret';

// ---------------------------------------------------------------------------------------------
// Redis messages.

interface RedisInput {
  message: Buffer;
  /** If the message is a valid publication: what subscribers get as `data`, and observers as the payload. */
  valid?: { data: unknown; payload: unknown };
}

const json = fc.jsonValue({ maxDepth: 4 });
const hex16 = fc.stringMatching(/^[0-9a-f]{16}$/);
const toBuffer = (text: string | Uint8Array) => Buffer.from(text);
const roundTrip = (data: unknown) => (data === null ? undefined : JSON.parse(JSON.stringify(data)));

function envelope(redisChannel: string, body: string, sender: string, secret?: string): Buffer {
  if (secret === undefined) return toBuffer(`v1 ${sender}\n${body}`);
  const mac = createHmac('sha256', secret).update(`v1 ${sender}\n${redisChannel}\n${body}`).digest('hex');
  return toBuffer(`v1 ${sender} ${mac}\n${body}`);
}

function redisInputs(redisChannel: string, secret: string | undefined): fc.Arbitrary<RedisInput> {
  const frameOf = (data: unknown) => JSON.stringify({ type: 'data', channel: 'feed', data });
  const valid = fc.tuple(json, hex16).map(([data, sender]): RedisInput => ({
    message: envelope(redisChannel, frameOf(data), sender, secret),
    valid: { data: roundTrip(data), payload: JSON.parse(JSON.stringify(data)) },
  }));
  const invalid = fc.oneof(
    fc.uint8Array({ maxLength: 300 }).map(toBuffer),
    fc.string({ maxLength: 200 }).map(toBuffer),
    // A valid header, any JSON after it: never a data frame of `feed` by chance.
    fc.tuple(json, hex16).map(([value, sender]) => envelope(redisChannel, JSON.stringify(value), sender, secret)),
    // A data frame, spoiled.
    fc
      .tuple(
        json,
        hex16,
        fc.constantFrom<Record<string, unknown>>(
          { type: 'action' },
          { type: 'error' },
          { type: 'subscribed' },
          { type: 'DATA' },
          { channel: 'news' },
          { channel: 'feed ' },
          { channel: null },
          { id: 'x' },
          { status: 'completed' },
        ),
      )
      .map(([data, sender, change]) =>
        envelope(redisChannel, JSON.stringify({ type: 'data', channel: 'feed', data, ...change }), sender, secret),
      ),
    // A data frame in a broken envelope: unknown version, bad sender, no header, or (with a secret)
    // unsigned, signed with another key, or signed for another channel.
    fc.tuple(json, hex16, fc.nat(5)).map(([data, sender, way]) => {
      const body = frameOf(data);
      if (way === 0) return toBuffer(`v9 ${sender}\n${body}`);
      if (way === 1) return toBuffer(`v1 ${sender.toUpperCase()}G\n${body}`);
      if (way === 2) return toBuffer(body);
      if (secret === undefined) return toBuffer(`${sender} x\n${body}`);
      if (way === 3) return envelope(redisChannel, body, sender);
      if (way === 4) return envelope(redisChannel, body, sender, `${secret}!`);
      return envelope(`${redisChannel}x`, body, sender, secret);
    }),
  );
  return fc.oneof(
    { arbitrary: valid, weight: 1 },
    { arbitrary: invalid.map((message): RedisInput => ({ message })), weight: 3 },
  );
}

// ---------------------------------------------------------------------------------------------
// HTTP requests to the bridge.

interface BridgeInput {
  headers: Record<string, string>;
  body: Uint8Array;
  /** Statuses the README allows for this request. */
  expected: number[];
  /** The payload published on `feed` when it succeeds. */
  feed?: unknown;
}

const MAX_BODY = 2000;
const TOKEN = 'bridge-token';

function bridgeInputs(port: number): fc.Arbitrary<BridgeInput> {
  const origin = fc.constantFrom(
    undefined,
    undefined,
    `http://127.0.0.1:${port}`,
    `http://localhost:${port}`,
    'http://evil.example',
    'null',
    `http://127.0.0.1:${port + 1}`,
  );
  const authorization = fc.constantFrom(
    undefined,
    `Bearer ${TOKEN}`,
    `Bearer ${TOKEN}`,
    `Bearer ${TOKEN}x`,
    TOKEN,
    'Basic x',
  );
  const contentType = fc.constantFrom(
    undefined,
    'application/json',
    'application/json',
    'application/json; charset=utf-8',
    'text/plain',
    'application/x-www-form-urlencoded',
    'multipart/form-data; boundary=z',
    'application/jsonx',
  );
  const body = fc.oneof(
    fc.uint8Array({ maxLength: 200 }),
    fc.string({ maxLength: 200 }).map((text) => Buffer.from(text)),
    json.map((value) => Buffer.from(JSON.stringify(value))),
    fc
      .record(
        { channel: fc.constantFrom('feed', 'news', 'explode', 'nope', '', 7), data: fc.option(json) },
        { requiredKeys: ['channel'] },
      )
      .map((value) => Buffer.from(JSON.stringify(value))),
    fc
      .nat(3 * MAX_BODY)
      .map((size) => Buffer.from(JSON.stringify({ channel: 'feed', data: { pad: 'x'.repeat(size) } }))),
  );
  return fc.tuple(origin, authorization, contentType, body).map(([originValue, auth, type, bytes]): BridgeInput => {
    const headers: Record<string, string> = {};
    if (originValue !== undefined) headers.origin = originValue;
    if (auth !== undefined) headers.authorization = auth;
    if (type !== undefined) headers['content-type'] = type;
    // A browser's request (it has an Origin) passes only from a listed origin, even the page's own.
    if (originValue !== undefined) return { headers, body: bytes, expected: [403] };
    if (auth !== `Bearer ${TOKEN}`) return { headers, body: bytes, expected: [401] };
    if (type === undefined || !type.startsWith('application/json') || type.startsWith('application/jsonx')) {
      return { headers, body: bytes, expected: [415] };
    }
    if (bytes.length > MAX_BODY) return { headers, body: bytes, expected: [413] };
    let parsed: unknown;
    try {
      parsed = JSON.parse(Buffer.from(bytes).toString('utf8'));
    } catch {
      return { headers, body: bytes, expected: [400] };
    }
    if (typeof parsed !== 'object' || parsed === null || Array.isArray(parsed))
      return { headers, body: bytes, expected: [400] };
    const { channel, data = {} } = parsed as { channel?: unknown; data?: unknown };
    if (typeof channel !== 'string' || channel === '') return { headers, body: bytes, expected: [400] };
    if (channel === 'feed') return { headers, body: bytes, expected: [200], feed: roundTrip(data) };
    if (channel === 'news') return { headers, body: bytes, expected: [200, 400] };
    if (channel === 'explode') return { headers, body: bytes, expected: [200, 400, 500] };
    return { headers, body: bytes, expected: [404] };
  });
}

// ---------------------------------------------------------------------------------------------

describeWithRedis('fuzzing peers: Redis input and the HTTP bridge', () => {
  let redis: RedisServer;
  let admin: Redis;
  const cleanup = useCleanup();

  /** Data frames accumulated across polls (takeData takes them off the client's queue). */
  const kept: unknown[] = [];
  function takeDataKept(client: TestClient): unknown[] {
    kept.push(...takeData(client, 'feed'));
    return kept;
  }

  beforeAll(async () => {
    redis = await RedisServer.start();
    admin = new Redis(redis.url);
  });

  afterAll(async () => {
    await admin?.quit();
    await redis?.stop();
  });

  for (const secret of [undefined, SECRET]) {
    it(`messages published straight to Redis ${secret ? 'with a secret' : 'without a secret'}: only valid publications get through, the rest is counted`, async () => {
      const prefix = secret ? 'fuzzsigned' : 'fuzz';
      const redisChannel = `${prefix}:feed`;
      const broker = new RedisBroker({
        connection: redis.url,
        prefix,
        secret,
        logger: { log: () => undefined, warn: () => undefined, error: () => undefined },
      });
      const app = await startInstance('A', SocketApiModule.forRoot({ broker, heartbeat: false }));
      cleanup.track(app);
      const client = await subscriber(app, 'feed');
      cleanup.track(client);
      const observed: unknown[] = [];
      const feed: Channel = app.app.get(ChannelHub).get('feed');
      feed.asObservable().subscribe((payload) => observed.push(payload));
      await redisSubscribers(admin, prefix, 'feed', 1);

      let sentinel = 0;
      await fc.assert(
        fc.asyncProperty(
          fc.array(redisInputs(redisChannel, secret), { minLength: 1, maxLength: 30 }),
          async (inputs) => {
            const before = { ...broker.stats };
            observed.length = 0;
            for (const input of inputs) await admin.publish(redisChannel, input.message);
            // A valid publication last: once it is in, everything before it was handled.
            const mark = { sentinel: ++sentinel };
            await admin.publish(
              redisChannel,
              envelope(redisChannel, JSON.stringify({ type: 'data', channel: 'feed', data: mark }), SENDER, secret),
            );
            const received = await eventually(
              () => [...takeDataKept(client)],
              (data) => data.some((item) => JSON.stringify(item) === JSON.stringify(mark)),
              { timeoutMs: 5000, what: 'the sentinel' },
            );
            kept.length = 0;
            const expected = [...inputs.filter((input) => input.valid).map((input) => input.valid!.data), mark];
            expect(received).toEqual(expected);
            expect(observed).toEqual([
              ...inputs.filter((input) => input.valid).map((input) => input.valid!.payload),
              mark,
            ]);
            expect(broker.stats.received - before.received).toBe(expected.length);
            expect(broker.stats.rejected - before.rejected).toBe(inputs.filter((input) => !input.valid).length);
          },
        ),
        { numRuns: RUNS },
      );
      expect(client.closeCode).toBeUndefined();
    }, 120_000);
  }

  it('requests to the bridge: each gets the status its headers and body call for; only 200s publish', async () => {
    const app = await startInstance(
      'B',
      SocketApiModule.forRoot({ broadcast: { token: TOKEN, maxBodyBytes: MAX_BODY }, heartbeat: false }),
    );
    cleanup.track(app);
    const client = await subscriber(app, 'feed');
    cleanup.track(client);
    kept.length = 0;

    await fc.assert(
      fc.asyncProperty(fc.array(bridgeInputs(app.port), { minLength: 1, maxLength: 10 }), async (inputs) => {
        const published: unknown[] = [];
        for (const input of inputs) {
          const response = await fetch(`${app.http}/_broadcast`, {
            method: 'POST',
            headers: input.headers,
            body: input.body,
          });
          const answer = (await response.json()) as Record<string, unknown>;
          expect({ status: response.status, headers: input.headers }).toEqual({
            status: input.expected.includes(response.status) ? response.status : input.expected[0],
            headers: input.headers,
          });
          expect(answer).toEqual(
            response.status === 200
              ? { status: 'success' }
              : { error: expect.any(String), ...(answer.errors ? { errors: answer.errors } : {}) },
          );
          if (response.status === 200 && input.feed !== undefined) published.push(input.feed);
        }
        const mark = { sentinel: Math.random() };
        const last = await fetch(`${app.http}/_broadcast`, {
          method: 'POST',
          headers: { 'content-type': 'application/json', authorization: `Bearer ${TOKEN}` },
          body: JSON.stringify({ channel: 'feed', data: mark }),
        });
        expect(last.status).toBe(200);
        const received = await eventually(
          () => [...takeDataKept(client)],
          (data) => data.some((item) => JSON.stringify(item) === JSON.stringify(mark)),
          { timeoutMs: 5000, what: 'the sentinel' },
        );
        kept.length = 0;
        expect(received).toEqual([...published, mark]);
      }),
      { numRuns: RUNS },
    );
  }, 120_000);
});
