import 'reflect-metadata';
import { HttpException, Injectable } from '@nestjs/common';
import { WsException } from '@nestjs/websockets';
import { Exclude, Transform } from 'class-transformer';
import { interval, map, take } from 'rxjs';
import {
  Channel,
  Connection,
  Data,
  InjectChannel,
  OnSocketConnect,
  SocketAction,
  SocketApiException,
  SocketApiModule,
  SocketApiValidationException,
  SocketChannel,
  SocketConnection,
  UnserializableValueError,
  type SocketApiModuleOptions,
} from '../../lib/index.js';
import { useCleanup } from '../support/cleanup.js';
import { CapturingLogger } from '../support/capturing-logger.js';
import { startApp, type TestApp } from '../support/test-app.js';
import { waitFor } from '../support/wait.js';
import { TestClient } from '../support/ws-client.js';

/*
 * "Nothing a handler, guard, filter or peer does can kill the process": every value JSON cannot
 * carry, in every place the server serializes, gives the client INTERNAL_ERROR (with its id and
 * channel) and one log line, and the connection and the process go on. Jest fails a test on an
 * uncaught exception or unhandled rejection, so a crash shows as a failure here.
 */

class TransformFails {
  @Transform(() => {
    throw new Error('transform failed');
  })
  value = 1;
}

/** Values that cannot be serialized, each failing in its own way. */
const UNSERIALIZABLE: Record<string, () => unknown> = {
  bigint: () => ({ big: 10n }),
  cycle: () => {
    const loop: Record<string, unknown> = { name: 'loop' };
    loop.self = loop;
    return loop;
  },
  getter: () => ({
    get boom(): never {
      throw new Error('getter failed');
    },
  }),
  toJSON: () => ({
    toJSON(): never {
      throw new Error('toJSON failed');
    },
  }),
  transformer: () => new TransformFails(),
};
const KINDS = Object.keys(UNSERIALIZABLE);
/** class-transformer only runs on replies and publications: an error object is serialized by JSON alone. */
const ERROR_KINDS = KINDS.filter((kind) => kind !== 'transformer');
const make = (kind: string) => UNSERIALIZABLE[kind]();
const tick = () => new Promise((resolve) => setImmediate(resolve));

class Account {
  name: string;
  @Exclude()
  password: string;

  constructor(name: string, password: string) {
    this.name = name;
    this.password = password;
  }
}

@Injectable()
class Unserializable {
  echoed = 0;

  constructor(
    @InjectChannel('feed') readonly feed: Channel<unknown>,
    @InjectChannel('accounts') readonly accounts: Channel<unknown>,
    @InjectChannel('initial') readonly initialChannel: Channel<unknown>,
  ) {}

  @SocketAction('reply')
  reply(@Data('kind') kind: string) {
    return make(kind);
  }

  @SocketAction('reply_async')
  async replyAsync(@Data('kind') kind: string) {
    await tick();
    return make(kind);
  }

  @SocketAction('throw_ws')
  throwWs(@Data('kind') kind: string) {
    throw new WsException(make(kind) as object);
  }

  @SocketAction('throw_ws_async')
  async throwWsAsync(@Data('kind') kind: string) {
    await tick();
    throw new WsException(make(kind) as object);
  }

  @SocketAction('throw_validation')
  throwValidation(@Data('kind') kind: string) {
    throw new SocketApiValidationException('Invalid', [{ path: 'a', messages: [make(kind) as string] }]);
  }

  @SocketAction('throw_code')
  throwCode(@Data('kind') kind: string) {
    throw new SocketApiException('Refused', make(kind) as string);
  }

  @SocketAction('send')
  send(@Data('kind') kind: string, @Connection() connection: SocketConnection) {
    connection.send(make(kind));
  }

  @SocketAction('publish')
  publish(@Data('kind') kind: string) {
    this.feed.publish(make(kind));
  }

  @SocketChannel('initial', { initialData: true })
  initial(@Data('kind') kind: string) {
    return make(kind);
  }

  @SocketChannel('feed')
  feedChannel() {}

  @SocketChannel('accounts')
  accountsChannel() {}

  @SocketAction('throw_http_getter')
  throwHttpGetter() {
    const exception = new HttpException({}, 400);
    Object.defineProperty(exception.getResponse(), 'message', {
      get(): never {
        throw new Error('getter failed');
      },
    });
    throw exception;
  }

  @SocketAction('throw_null_prototype')
  throwNullPrototype() {
    throw Object.create(null);
  }

  @SocketAction('throw_proxy')
  throwProxy() {
    // eslint-disable-next-line @typescript-eslint/only-throw-error -- a thrown value that is not an Error is the point
    throw new Proxy(
      {},
      {
        getPrototypeOf(): never {
          throw new Error('trap');
        },
        get(): never {
          throw new Error('trap');
        },
      },
    );
  }

  @SocketAction('then_getter')
  thenGetter() {
    return {
      get then(): never {
        throw new Error('then getter failed');
      },
    };
  }

  @SocketAction('number')
  number(@Data('value') value: string) {
    return Number(value);
  }

  @SocketAction('nested_number')
  nestedNumber(@Data('value') value: string) {
    return { scores: [1, Number(value)] };
  }

  @SocketAction('function')
  fn() {
    return () => 1;
  }

  @SocketAction('left_out')
  leftOut() {
    return { kept: 1, none: undefined, method() {} };
  }

  @SocketAction('echo')
  echo(@Data() data: unknown) {
    this.echoed++;
    return data;
  }

  @SocketAction('fail')
  fail() {
    throw new Error('boom');
  }

  @SocketAction('fail_other')
  failOther() {
    throw new TypeError('other boom');
  }
}

const internalError = (channel: string, id: number) => ({
  type: 'error',
  code: 'INTERNAL_ERROR',
  message: 'Internal server error',
  channel,
  id,
});

async function start(
  options: SocketApiModuleOptions,
  logger: CapturingLogger,
  providers: Array<new (...args: never[]) => unknown> = [Unserializable],
): Promise<TestApp> {
  return startApp({ imports: [SocketApiModule.forRoot(options)], providers }, (app) => app.useLogger(logger));
}

/** Sends a ping and expects its pong next: the server still answers this connection. */
async function expectAnswers(client: TestClient, id: string): Promise<void> {
  client.send({ type: 'ping', id });
  expect(await client.next()).toEqual([{ type: 'pong', id }]);
}

describe('a value that cannot be serialized, in every place the server serializes', () => {
  const logger = new CapturingLogger();
  let t: TestApp;
  let client: TestClient;
  let id = 0;

  beforeAll(async () => {
    // Every error logged, so that each bad message can be matched with its one line.
    t = await start({ errorLogIntervalMs: 0 }, logger);
  });
  afterAll(() => t.close());
  beforeEach(async () => {
    client = await TestClient.open(t.url);
  });
  afterEach(() => client.close());

  /** Sends one message, expects INTERNAL_ERROR for it and exactly one error line naming the handler. */
  async function expectInternalError(type: string, channel: string, data: unknown): Promise<string> {
    const before = logger.errors.length;
    const messageId = ++id;
    client.send({ type, channel, data, id: messageId });
    expect(await client.next()).toEqual([internalError(channel, messageId)]);
    await expectAnswers(client, `after-${messageId}`);
    const lines = logger.errors.slice(before);
    expect(lines).toHaveLength(1);
    expect(lines[0].message).toContain(`'${channel}'`);
    return `${lines[0].message}\n${lines[0].details}`;
  }

  describe.each(KINDS)('%s', (kind) => {
    it.each(['reply', 'reply_async', 'send', 'publish'])('in %s: INTERNAL_ERROR, the process lives', async (action) => {
      await expectInternalError('action', action, { kind });
    });

    it('as initial data: INTERNAL_ERROR, and the client is not subscribed', async () => {
      await expectInternalError('subscribe', 'initial', { kind });
      t.app.get(Unserializable).initialChannel.publish({ published: true });
      // A subscriber would get the data frame before the pong.
      await expectAnswers(client, 'not-subscribed');
    });
  });

  describe.each(ERROR_KINDS)('%s in an error', (kind) => {
    it.each(['throw_ws', 'throw_ws_async', 'throw_validation', 'throw_code'])(
      'thrown by %s: INTERNAL_ERROR',
      async (action) => {
        const logged = await expectInternalError('action', action, { kind });
        expect(logged).toContain('cannot be sent');
      },
    );
  });

  it.each(['throw_http_getter', 'throw_null_prototype', 'throw_proxy', 'then_getter'])(
    'an exception or result that cannot even be printed (%s): INTERNAL_ERROR',
    async (action) => {
      await expectInternalError('action', action, {});
    },
  );

  it('a publication from server code that cannot be serialized throws to the caller; nothing is sent', async () => {
    const { feed } = t.app.get(Unserializable);
    client.send({ type: 'subscribe', channel: 'feed', id: 1 });
    expect(await client.next()).toEqual([{ type: 'subscribed', channel: 'feed', id: 1 }]);
    for (const kind of KINDS) expect(() => feed.publish(make(kind))).toThrow();
    expect(() => feed.publish({ ratio: NaN })).toThrow(UnserializableValueError);
    feed.publish({ fine: true });
    expect(await client.next()).toEqual([{ type: 'data', channel: 'feed', data: { fine: true } }]);
  });

  it('values piped into a channel from an RxJS stream: the bad ones are logged and skipped', async () => {
    const { feed } = t.app.get(Unserializable);
    client.send({ type: 'subscribe', channel: 'feed', id: 1 });
    expect(await client.next()).toEqual([{ type: 'subscribed', channel: 'feed', id: 1 }]);
    const before = logger.errors.length;
    const values = [...KINDS.map(make), { last: true }];
    const done = new Promise<void>((resolve) =>
      interval(5)
        .pipe(
          take(values.length),
          map((i) => values[i]),
        )
        .subscribe({ next: (value) => feed.next(value), complete: resolve }),
    );
    // The channel itself as the observer, as the README shows.
    interval(5)
      .pipe(
        take(1),
        map(() => ({ big: 10n })),
      )
      .subscribe(feed);
    await done;
    expect(await client.next()).toEqual([{ type: 'data', channel: 'feed', data: { last: true } }]);
    // RxJS would rethrow a throw from next() in a later macrotask: give it the time to.
    await new Promise((resolve) => setTimeout(resolve, 50));
    await expectAnswers(client, 'after-stream');
    const lines = logger.errors.slice(before);
    expect(lines.length).toBeGreaterThanOrEqual(1);
    expect(lines.every((line) => line.message.includes("channel 'feed'"))).toBe(true);
  });

  it('a class instance published with @Exclude() fields, no serialization option: the field is not sent', async () => {
    const { accounts } = t.app.get(Unserializable);
    client.send({ type: 'subscribe', channel: 'accounts', id: 1 });
    expect(await client.next()).toEqual([{ type: 'subscribed', channel: 'accounts', id: 1 }]);
    accounts.publish(new Account('ann', 'hunter2'));
    const [frame] = await client.next();
    expect(frame).toEqual({ type: 'data', channel: 'accounts', data: { name: 'ann' } });
    expect(JSON.stringify(frame)).not.toContain('hunter2');
  });

  describe('a reply is never silently altered', () => {
    it.each(['Infinity', '-Infinity', 'NaN'])('a result of %s is INTERNAL_ERROR, logged', async (n) => {
      const logged = await expectInternalError('action', 'number', { value: n });
      expect(logged).toContain(`Cannot be sent as JSON: the value is ${n}`);
    });

    it('a non-finite number nested in the result is INTERNAL_ERROR, logged with its path', async () => {
      const logged = await expectInternalError('action', 'nested_number', { value: 'Infinity' });
      expect(logged).toContain('Infinity at scores[1]');
    });

    it('a function as the result is INTERNAL_ERROR, not an empty reply', async () => {
      await expectInternalError('action', 'function', {});
    });

    it('finite numbers are sent as they are', async () => {
      client.send({ type: 'action', channel: 'nested_number', data: { value: '1e300' }, id: 7 });
      expect(await client.next()).toEqual([
        { type: 'action', channel: 'nested_number', status: 'completed', data: { scores: [1, 1e300] }, id: 7 },
      ]);
    });

    it('keys holding undefined or a function are left out, as JSON does', async () => {
      client.send({ type: 'action', channel: 'left_out', id: 8 });
      expect(await client.next()).toEqual([
        { type: 'action', channel: 'left_out', status: 'completed', data: { kept: 1 }, id: 8 },
      ]);
    });
  });
});

describe('nesting depth of data (maxDepth)', () => {
  const cleanup = useCleanup();
  const logger = new CapturingLogger();

  const deepArray = (levels: number) => '['.repeat(levels) + ']'.repeat(levels);
  const deepObject = (levels: number) => '{"a":'.repeat(levels - 1) + '{}' + '}'.repeat(levels - 1);
  const frame = (data: string, id: number) => `{"type":"action","channel":"echo","data":${data},"id":${id}}`;
  const tooDeep = (id: number, levels = 32) => ({
    type: 'error',
    code: 'INVALID_MESSAGE',
    message: `Message data is nested too deeply (more than ${levels} levels).`,
    channel: 'echo',
    id,
  });

  it('takes data 32 levels deep by default, refuses 33 with INVALID_MESSAGE before the handler runs', async () => {
    const t = cleanup.track(await start({}, logger));
    const client = cleanup.track(await TestClient.open(t.url));
    const service = t.app.get(Unserializable);
    client.send(frame(deepArray(32), 1));
    client.send(frame(deepObject(32), 2));
    const replies = (await client.next(2)) as Array<{ type: string; data: unknown }>;
    expect(replies.map((reply) => reply.type)).toEqual(['action', 'action']);
    expect(JSON.stringify(replies[0].data)).toBe(deepArray(32));
    expect(service.echoed).toBe(2);

    client.send(frame(deepArray(33), 3));
    client.send(frame(deepObject(33), 4));
    client.send(frame(`{"list":[1,2,${deepArray(32)}]}`, 5));
    expect(await client.next(3)).toEqual([tooDeep(3), tooDeep(4), tooDeep(5)]);
    client.send(frame(deepArray(30_000), 6));
    expect(await client.next()).toEqual([tooDeep(6)]);
    expect(service.echoed).toBe(2);
    await expectAnswers(client, 'after');
    expect(logger.errors).toEqual([]);
  });

  it('follows the maxDepth option', async () => {
    const t = cleanup.track(await start({ maxDepth: 2 }, logger));
    const client = cleanup.track(await TestClient.open(t.url));
    client.send(frame('{"a":{"b":1}}', 1));
    client.send(frame('{"a":{"b":[]}}', 2));
    const [ok, refused] = await client.next(2);
    expect(ok).toEqual({ type: 'action', channel: 'echo', status: 'completed', data: { a: { b: 1 } }, id: 1 });
    expect(refused).toEqual(tooDeep(2, 2));
  });
});

describe('invalid UTF-8 in a text frame', () => {
  const cleanup = useCleanup();

  it('gets INVALID_MESSAGE and the connection stays usable', async () => {
    const t = cleanup.track(await start({}, new CapturingLogger()));
    const client = cleanup.track(await TestClient.open(t.url));
    const invalid = Buffer.from([0xff, 0xfe, 0xc3]);
    const bytes = Buffer.concat([Buffer.from('{"type":"ping","id":"'), invalid, Buffer.from('"}')]);
    client.socket.send(bytes, { binary: false });
    expect(await client.next()).toEqual([{ type: 'error', code: 'INVALID_MESSAGE', message: 'Invalid JSON.' }]);
    await expectAnswers(client, 'still-open');
  });
});

describe('log flooding: the errors a client can cause are logged a bounded number of times', () => {
  const cleanup = useCleanup();
  let logger: CapturingLogger;

  beforeEach(() => {
    logger = new CapturingLogger();
  });

  async function flood(client: TestClient, channel: string, count: number): Promise<void> {
    for (let i = 0; i < count; i++) client.send({ type: 'action', channel, data: { kind: 'bigint' }, id: i });
    const answers = (await client.next(count)) as Array<{ code?: string }>;
    expect(answers.every((answer) => answer.code === 'INTERNAL_ERROR')).toBe(true);
  }

  it('one line per kind of error per interval (default 10 s), whatever the number of messages', async () => {
    const t = cleanup.track(await start({}, logger));
    const client = cleanup.track(await TestClient.open(t.url));
    await flood(client, 'fail', 200);
    await flood(client, 'reply', 100);
    await flood(client, 'fail_other', 100);
    expect(logger.errors.map((line) => line.message)).toEqual([
      expect.stringContaining("action 'fail'"),
      expect.stringContaining("action 'reply'"),
      expect.stringContaining("action 'fail_other'"),
    ]);
    // The first of each kind comes with its stack.
    expect(logger.errors[0].details).toContain('Error: boom');
  });

  it('at the end of an interval, the count of the errors not logged; then the next one is logged again', async () => {
    const t = cleanup.track(await start({ errorLogIntervalMs: 2000 }, logger));
    const client = cleanup.track(await TestClient.open(t.url));
    await flood(client, 'fail', 20);
    expect(logger.errors).toHaveLength(1);
    await waitFor(() => logger.errors.length >= 2, { what: 'the count of the errors not logged', intervalMs: 50 });
    expect(logger.errors[1].message).toMatch(/action 'fail'.*: 19 more in the last 2000 ms/);
    await flood(client, 'fail', 1);
    expect(logger.errors).toHaveLength(3);
    expect(logger.errors[2].details).toContain('Error: boom');
  });

  it('a connection hook failing for every client is logged once, even with an unprintable exception', async () => {
    @Injectable()
    class FailingHook {
      @OnSocketConnect()
      connected() {
        throw Object.create(null);
      }
    }
    const t = cleanup.track(await start({}, logger, [FailingHook]));
    const clients: TestClient[] = [];
    for (let i = 0; i < 20; i++) clients.push(cleanup.track(await TestClient.open(t.url)));
    for (const [i, client] of clients.entries()) await expectAnswers(client, `hook-${i}`);
    expect(logger.errors).toHaveLength(1);
    expect(logger.errors[0].message).toContain('Connection hook');
  });
});
