import 'reflect-metadata';
import { SocketApiModule } from '../lib/index.js';
import { ProtocolService } from './fixtures/protocol-app.js';
import { useCleanup } from './support/cleanup.js';
import { startApp, type TestApp } from './support/test-app.js';
import { TestClient } from './support/ws-client.js';

describe('PROTOCOL.md, frame by frame', () => {
  let t: TestApp;
  let client: TestClient;

  beforeAll(async () => {
    t = await startApp({ imports: [SocketApiModule.forRoot()], providers: [ProtocolService] });
  });
  afterAll(() => t.close());
  beforeEach(async () => {
    client = await TestClient.open(t.url);
  });
  afterEach(() => client.close());

  async function exchange(message: unknown, replies = 1): Promise<unknown[]> {
    client.send(message);
    return client.next(replies);
  }

  describe('envelope errors (the connection stays open after each)', () => {
    const invalid = (message: string, extra: object = {}) => ({
      type: 'error',
      code: 'INVALID_MESSAGE',
      message,
      ...extra,
    });

    afterEach(async () => {
      expect(await exchange({ type: 'ping', id: 'still-open' })).toEqual([{ type: 'pong', id: 'still-open' }]);
    });

    it.each([['{not json'], ['{"type":"action",'], ['']])('text that is not JSON: %j', async (text) => {
      expect(await exchange(text)).toEqual([invalid('Invalid JSON.')]);
    });

    it('a text frame that is not UTF-8 is not JSON either', async () => {
      client.socket.send(Buffer.from([0x7b, 0xff, 0xfe, 0x7d]), { binary: false });
      expect(await client.next()).toEqual([invalid('Invalid JSON.')]);
    });

    it.each([['[1,2]'], ['"action"'], ['42'], ['null'], ['true']])('JSON that is not an object: %s', async (text) => {
      expect(await exchange(text)).toEqual([invalid('Message must be a JSON object.')]);
    });

    it('a binary frame', async () => {
      client.socket.send(Buffer.from('{"type":"ping"}'), { binary: true });
      expect(await client.next()).toEqual([invalid('Binary frames are not supported.')]);
    });

    it.each([[{}], [{ type: '' }], [{ type: 5 }], [{ type: null }], [{ type: ['action'] }]])(
      'type missing, empty or not a string: %j',
      async (message) => {
        expect(await exchange({ ...message, id: 7 })).toEqual([invalid('Message type is required.', { id: 7 })]);
      },
    );

    it.each([[{}], [{ channel: '' }], [{ channel: 3 }]])('channel missing or empty: %j', async (extra) => {
      for (const type of ['action', 'subscribe', 'unsubscribe']) {
        expect(await exchange({ type, id: 'c', ...extra })).toEqual([invalid('Channel is required.', { id: 'c' })]);
      }
    });

    it.each([[{ a: 1 }], [[1]], [true], [null], [Infinity]])('id neither string nor number: %j', async (id) => {
      const text = `{"type":"action","channel":"add_numbers","id":${JSON.stringify(id) ?? '1e400'}}`;
      expect(await exchange(id === Infinity ? text.replace('null', '1e400') : text)).toEqual([
        invalid('Message id must be a string or a number.', { channel: 'add_numbers' }),
      ]);
    });

    it('unknown type, case-sensitive', async () => {
      expect(await exchange({ type: 'publish', channel: 'chat', id: 1 })).toEqual([
        { type: 'error', code: 'UNKNOWN_TYPE', message: 'Unknown message type: publish.', channel: 'chat', id: 1 },
      ]);
      expect(await exchange({ type: 'Action', channel: 'greet' })).toEqual([
        { type: 'error', code: 'UNKNOWN_TYPE', message: 'Unknown message type: Action.', channel: 'greet' },
      ]);
    });
  });

  describe('actions', () => {
    it('replies with the result and echoes the id (string or number)', async () => {
      expect(await exchange({ type: 'action', channel: 'add_numbers', data: { a: 5, b: 3 }, id: 'req-1' })).toEqual([
        { type: 'action', channel: 'add_numbers', status: 'completed', data: 8, id: 'req-1' },
      ]);
      expect(await exchange({ type: 'action', channel: 'add_numbers', data: { a: 1, b: 1 }, id: 0 })).toEqual([
        { type: 'action', channel: 'add_numbers', status: 'completed', data: 2, id: 0 },
      ]);
    });

    it('leaves the id out when the request had none', async () => {
      const [reply] = await exchange({ type: 'action', channel: 'add_numbers', data: { a: 2, b: 2 } });
      expect(reply).toEqual({ type: 'action', channel: 'add_numbers', status: 'completed', data: 4 });
      expect(Object.keys(reply as object)).not.toContain('id');
    });

    it('a missing or null data means {}', async () => {
      expect(await exchange({ type: 'action', channel: 'echo' })).toEqual([
        { type: 'action', channel: 'echo', status: 'completed', data: {} },
      ]);
      expect(await exchange({ type: 'action', channel: 'echo', data: null })).toEqual([
        { type: 'action', channel: 'echo', status: 'completed', data: {} },
      ]);
    });

    it.each([
      ['zero', 0],
      ['false', false],
      ['empty', ''],
      ['array', []],
      ['object', {}],
    ])('sends the falsy result %s (a deviation from SocketAPI)', async (kind, value) => {
      expect(await exchange({ type: 'action', channel: 'returns', data: { kind } })).toEqual([
        { type: 'action', channel: 'returns', status: 'completed', data: value },
      ]);
    });

    it.each([['null'], ['missing']])('leaves data out when the handler returns %s', async (kind) => {
      const [reply] = await exchange({ type: 'action', channel: 'returns', data: { kind } });
      expect(reply).toEqual({ type: 'action', channel: 'returns', status: 'completed' });
      expect(Object.keys(reply as object)).not.toContain('data');
    });

    it('turns class instances into plain JSON through class-transformer', async () => {
      const user = { username: 'alice', email: 'alice@example.com', age: 25 };
      expect(await exchange({ type: 'action', channel: 'create_user', data: { user } })).toEqual([
        {
          type: 'action',
          channel: 'create_user',
          status: 'completed',
          data: { id: 1, username: 'alice', created: true },
        },
      ]);
    });

    it('ACTION_NOT_FOUND for a name nobody registered', async () => {
      expect(await exchange({ type: 'action', channel: 'nonexistent_action', id: 3 })).toEqual([
        {
          type: 'error',
          code: 'ACTION_NOT_FOUND',
          message: "Action 'nonexistent_action' not found.",
          channel: 'nonexistent_action',
          id: 3,
        },
      ]);
    });
  });

  describe('validation', () => {
    it('VALIDATION_ERROR with one entry per failing property, dotted from the top of data', async () => {
      const profile = {
        name: 'Alice',
        email: 'not-an-email',
        address: { street: '1 Main St', city: 'Springfield', zipcode: 12345 },
      };
      expect(await exchange({ type: 'action', channel: 'update_profile', data: { profile }, id: 9 })).toEqual([
        {
          type: 'error',
          code: 'VALIDATION_ERROR',
          message: "Invalid parameters for action 'update_profile'",
          channel: 'update_profile',
          id: 9,
          errors: [
            { path: 'profile.email', messages: ['email must be an email'] },
            { path: 'profile.address.zipcode', messages: ['zipcode must be a string'] },
          ],
        },
      ]);
    });

    it('passes a valid nested DTO to the handler as an instance', async () => {
      const profile = {
        name: 'Alice',
        email: 'alice@example.com',
        address: { street: '1 Main St', city: 'Springfield', zipcode: '12345' },
      };
      expect(await exchange({ type: 'action', channel: 'update_profile', data: { profile } })).toEqual([
        {
          type: 'action',
          channel: 'update_profile',
          status: 'completed',
          data: { success: true, name: 'Alice', city: 'Springfield', isDto: true },
        },
      ]);
    });

    it('a missing DTO property is reported', async () => {
      expect(await exchange({ type: 'action', channel: 'update_profile', data: {} })).toEqual([
        {
          type: 'error',
          code: 'VALIDATION_ERROR',
          message: "Invalid parameters for action 'update_profile'",
          channel: 'update_profile',
          errors: [{ path: 'profile', messages: ['profile should not be null or undefined'] }],
        },
      ]);
    });

    it('coerces primitives as SocketAPI does and reports every bad one', async () => {
      expect(await exchange({ type: 'action', channel: 'add_numbers', data: { a: '5', b: ' 2.5 ' } })).toEqual([
        { type: 'action', channel: 'add_numbers', status: 'completed', data: 7.5 },
      ]);
      expect(await exchange({ type: 'action', channel: 'flags', data: { on: 'yes', count: '3' } })).toEqual([
        { type: 'action', channel: 'flags', status: 'completed', data: { on: true, count: 3, label: 'none' } },
      ]);
      expect(
        await exchange({ type: 'action', channel: 'flags', data: { on: 'maybe', count: 'abc', label: 7 } }),
      ).toEqual([
        {
          type: 'error',
          code: 'VALIDATION_ERROR',
          message: "Invalid parameters for action 'flags'",
          channel: 'flags',
          errors: [
            { path: 'on', messages: ['on must be a boolean value'] },
            { path: 'count', messages: ['count must be a number conforming to the specified constraints'] },
            { path: 'label', messages: ['label must be a string'] },
          ],
        },
      ]);
    });

    it('data that is not an object, when a handler reads its properties', async () => {
      expect(await exchange({ type: 'action', channel: 'add_numbers', data: [1, 2] })).toEqual([
        {
          type: 'error',
          code: 'VALIDATION_ERROR',
          message: "Invalid parameters for action 'add_numbers'",
          channel: 'add_numbers',
          errors: [{ path: '', messages: ['data must be an object'] }],
        },
      ]);
    });

    it("subscribe parameters fail: the message says 'channel'", async () => {
      expect(await exchange({ type: 'subscribe', channel: 'numbers', data: { min: 'abc' }, id: 'n' })).toEqual([
        {
          type: 'error',
          code: 'VALIDATION_ERROR',
          message: "Invalid parameters for channel 'numbers'",
          channel: 'numbers',
          id: 'n',
          errors: [{ path: 'min', messages: ['min must be a number conforming to the specified constraints'] }],
        },
      ]);
    });
  });

  describe('exceptions thrown by handlers and guards', () => {
    it.each([
      ['fail_client', 'ROOM_FULL', 'Room is full'],
      ['fail_default', 'BAD_REQUEST', 'Not today'],
      ['fail_ws', 'BAD_REQUEST', 'Bad move'],
      ['fail_ws_object', 'GAME_OVER', 'The game is over'],
      ['fail_http', 'NOT_FOUND', 'No such room'],
      ['denied', 'FORBIDDEN', 'Forbidden resource'],
      ['admin', 'FORBIDDEN', 'Admins only'],
    ])('%s → %s', async (channel, code, message) => {
      expect(await exchange({ type: 'action', channel, id: 1 })).toEqual([
        { type: 'error', code, message, channel, id: 1 },
      ]);
    });

    it('anything else is INTERNAL_ERROR, its message never sent', async () => {
      for (const channel of ['fail_internal', 'fail_serialize']) {
        expect(await exchange({ type: 'action', channel, id: 2 })).toEqual([
          { type: 'error', code: 'INTERNAL_ERROR', message: 'Internal server error', channel, id: 2 },
        ]);
      }
    });
  });

  describe('channels', () => {
    it('subscribe answers subscribed, then the initial data', async () => {
      expect(await exchange({ type: 'subscribe', channel: 'chat', id: 's1' }, 2)).toEqual([
        { type: 'subscribed', channel: 'chat', id: 's1' },
        { type: 'data', channel: 'chat', data: { message: 'Welcome' } },
      ]);
    });

    it('the subscribe data reaches the channel method', async () => {
      expect(await exchange({ type: 'subscribe', channel: 'chat', data: { message: 'Hi me' } }, 2)).toEqual([
        { type: 'subscribed', channel: 'chat' },
        { type: 'data', channel: 'chat', data: { message: 'Hi me' } },
      ]);
    });

    it('no initial data unless the channel declares it', async () => {
      expect(await exchange({ type: 'subscribe', channel: 'news' })).toEqual([{ type: 'subscribed', channel: 'news' }]);
      expect(await exchange({ type: 'ping' })).toEqual([{ type: 'pong' }]);
    });

    it('a channel method that throws refuses the subscription', async () => {
      expect(await exchange({ type: 'subscribe', channel: 'vip', data: { token: 'guess' }, id: 4 })).toEqual([
        { type: 'error', code: 'UNAUTHORIZED', message: 'Invalid token', channel: 'vip', id: 4 },
      ]);
      const other = await TestClient.open(t.url);
      other.send({ type: 'action', channel: 'send_message', data: { message: 'x' } });
      await other.next();
      other.send({ type: 'ping' });
      expect(await other.next()).toEqual([{ type: 'pong' }]);
      await other.close();
      expect(await exchange({ type: 'subscribe', channel: 'vip', data: { token: 'secret' } }, 2)).toEqual([
        { type: 'subscribed', channel: 'vip' },
        { type: 'data', channel: 'vip', data: { welcome: 'vip' } },
      ]);
    });

    it('CHANNEL_NOT_FOUND for a channel nobody registered', async () => {
      expect(await exchange({ type: 'subscribe', channel: 'nope', id: 5 })).toEqual([
        { type: 'error', code: 'CHANNEL_NOT_FOUND', message: "Channel 'nope' not found.", channel: 'nope', id: 5 },
      ]);
    });

    it('a publication made during an action reaches the caller before its reply', async () => {
      await exchange({ type: 'subscribe', channel: 'chat' }, 2);
      const [data, reply] = await exchange(
        { type: 'action', channel: 'send_message', data: { message: 'Hello everyone!' }, id: 8 },
        2,
      );
      expect(data).toEqual({ type: 'data', channel: 'chat', data: { message: 'Hello everyone!' } });
      expect(reply).toEqual({
        type: 'action',
        channel: 'send_message',
        status: 'completed',
        data: { sent: true, by: expect.any(String) },
        id: 8,
      });
    });

    it('reaches every subscriber, and subscribing twice leaves one subscription', async () => {
      const other = await TestClient.open(t.url);
      other.send({ type: 'subscribe', channel: 'news' });
      expect(await other.next()).toEqual([{ type: 'subscribed', channel: 'news' }]);
      expect(await exchange({ type: 'subscribe', channel: 'news', id: 1 })).toEqual([
        { type: 'subscribed', channel: 'news', id: 1 },
      ]);
      expect(await exchange({ type: 'subscribe', channel: 'news', id: 2 })).toEqual([
        { type: 'subscribed', channel: 'news', id: 2 },
      ]);
      other.send({ type: 'action', channel: 'publish_news', data: { headline: 'Extra!' } });
      expect(await other.next(2)).toEqual([
        { type: 'data', channel: 'news', data: { headline: 'Extra!' } },
        { type: 'action', channel: 'publish_news', status: 'completed' },
      ]);
      expect(await client.next()).toEqual([{ type: 'data', channel: 'news', data: { headline: 'Extra!' } }]);
      expect(await exchange({ type: 'ping' })).toEqual([{ type: 'pong' }]);
      await other.close();
    });

    it('unsubscribe always answers unsubscribed, and stops the data', async () => {
      await exchange({ type: 'subscribe', channel: 'news' });
      expect(await exchange({ type: 'unsubscribe', channel: 'news', id: 'u' })).toEqual([
        { type: 'unsubscribed', channel: 'news', id: 'u' },
      ]);
      expect(await exchange({ type: 'unsubscribe', channel: 'news' })).toEqual([
        { type: 'unsubscribed', channel: 'news' },
      ]);
      expect(await exchange({ type: 'unsubscribe', channel: 'does-not-exist' })).toEqual([
        { type: 'unsubscribed', channel: 'does-not-exist' },
      ]);
      expect(await exchange({ type: 'action', channel: 'publish_news', data: { headline: 'Nobody hears' } })).toEqual([
        { type: 'action', channel: 'publish_news', status: 'completed' },
      ]);
    });
  });

  describe('recover and presence on channels without history or presence (issue 12)', () => {
    it('a subscribe with recover on a channel without history: recovered:false, no position, the initial data', async () => {
      const recover = { offset: 5, epoch: 'k3x.9f2a' };
      expect(await exchange({ type: 'subscribe', channel: 'chat', recover, id: 's' }, 2)).toEqual([
        { type: 'subscribed', channel: 'chat', recovered: false, id: 's' },
        { type: 'data', channel: 'chat', data: { message: 'Welcome' } },
      ]);
      const [data] = await exchange({ type: 'action', channel: 'send_message', data: { message: 'live' } }, 2);
      expect(data).toEqual({ type: 'data', channel: 'chat', data: { message: 'live' } });
    });

    it('a malformed recover is INVALID_MESSAGE, with channel and id, and subscribes nothing', async () => {
      expect(
        await exchange({ type: 'subscribe', channel: 'news', recover: { offset: -1, epoch: 'e' }, id: 9 }),
      ).toEqual([
        {
          type: 'error',
          code: 'INVALID_MESSAGE',
          message: 'recover must be {"offset": an integer ≥ 0, "epoch": a string}',
          channel: 'news',
          id: 9,
        },
      ]);
      expect(await exchange({ type: 'action', channel: 'publish_news', data: { headline: 'Nobody hears' } })).toEqual([
        { type: 'action', channel: 'publish_news', status: 'completed' },
      ]);
    });

    it('presence: PRESENCE_DISABLED on a channel without presence, CHANNEL_NOT_FOUND on an unknown one', async () => {
      await exchange({ type: 'subscribe', channel: 'news' });
      expect(await exchange({ type: 'presence', channel: 'news', id: 'p' })).toEqual([
        {
          type: 'error',
          code: 'PRESENCE_DISABLED',
          message: "Channel 'news' has no presence.",
          channel: 'news',
          id: 'p',
        },
      ]);
      expect(await exchange({ type: 'presence', channel: 'nope', id: 2 })).toEqual([
        { type: 'error', code: 'CHANNEL_NOT_FOUND', message: "Channel 'nope' not found.", channel: 'nope', id: 2 },
      ]);
      expect(await exchange({ type: 'presence', id: 3 })).toEqual([
        { type: 'error', code: 'INVALID_MESSAGE', message: 'Channel is required.', id: 3 },
      ]);
    });
  });

  describe('ping and order', () => {
    it('ping answers pong, with the id if given', async () => {
      expect(await exchange({ type: 'ping' })).toEqual([{ type: 'pong' }]);
      expect(await exchange({ type: 'ping', id: 42 })).toEqual([{ type: 'pong', id: 42 }]);
      expect(await exchange({ type: 'ping', channel: 'ignored', id: 'p' })).toEqual([{ type: 'pong', id: 'p' }]);
    });

    it('handles the messages of one connection one after another, in order', async () => {
      client.send({ type: 'action', channel: 'slow', data: { ms: 60 }, id: 1 });
      client.send({ type: 'ping', id: 2 });
      client.send('not json');
      client.send({ type: 'action', channel: 'slow', data: { ms: 1 }, id: 3 });
      expect(await client.next(4)).toEqual([
        { type: 'action', channel: 'slow', status: 'completed', data: 60, id: 1 },
        { type: 'pong', id: 2 },
        { type: 'error', code: 'INVALID_MESSAGE', message: 'Invalid JSON.' },
        { type: 'action', channel: 'slow', status: 'completed', data: 1, id: 3 },
      ]);
    });
  });
});

describe('hostile data', () => {
  const cleanup = useCleanup();

  it('__proto__ keys in a DTO do not reach prototypes', async () => {
    const t = cleanup.track(await startApp({ imports: [SocketApiModule.forRoot()], providers: [ProtocolService] }));
    const client = await TestClient.open(t.url);
    const user =
      '{"username":"eve","email":"eve@example.com","age":1,"__proto__":{"polluted":true},"constructor":{"prototype":{"polluted":true}}}';
    client.send(`{"type":"action","channel":"create_user","data":{"user":${user}},"id":1}`);
    expect(await client.next()).toEqual([
      {
        type: 'action',
        channel: 'create_user',
        status: 'completed',
        data: { id: 1, username: 'eve', created: true },
        id: 1,
      },
    ]);
    expect(({} as Record<string, unknown>).polluted).toBeUndefined();
  });
});

describe('deeply nested data', () => {
  const cleanup = useCleanup();

  const deep = (levels: number) => '['.repeat(levels) + ']'.repeat(levels);

  // With the default `maxDepth` (32) such frames are refused before any handler runs (see
  // test/hardening/serialization.e2e.spec.ts); raised, the readers and the serializer cope on their own.
  it('a DTO field nested past the stack is a validation error; a deep result is still sent', async () => {
    const t = cleanup.track(
      await startApp({ imports: [SocketApiModule.forRoot({ maxDepth: 10_000 })], providers: [ProtocolService] }),
    );
    const client = await TestClient.open(t.url);
    client.send(`{"type":"action","channel":"create_user","data":{"user":{"username":${deep(5000)}}},"id":1}`);
    expect(await client.next()).toEqual([
      {
        type: 'error',
        code: 'VALIDATION_ERROR',
        message: "Invalid parameters for action 'create_user'",
        channel: 'create_user',
        id: 1,
        errors: [{ path: 'user', messages: ['user is nested too deeply'] }],
      },
    ]);
    client.send(`{"type":"action","channel":"echo","data":{"deep":${deep(2000)}},"id":2}`);
    const [reply] = (await client.next()) as Array<{ type: string; data: { deep: unknown } }>;
    expect(reply.type).toBe('action');
    expect(JSON.stringify(reply.data.deep)).toBe(deep(2000));
  });
});
