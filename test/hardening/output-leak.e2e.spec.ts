import 'reflect-metadata';
import { Injectable } from '@nestjs/common';
import { Exclude, Type } from 'class-transformer';
import { IsArray, IsDate, IsInt, IsObject, IsOptional, IsString, ValidateNested } from 'class-validator';
import { of } from 'rxjs';
import {
  Channel,
  ChannelParam,
  createSocketApiDocument,
  Data,
  HistoryChannel,
  InjectChannel,
  SocketAction,
  SocketApiModule,
  SocketChannel,
  type OutputValidationMode,
  type SocketApiModuleOptions,
} from '../../lib/index.js';
import { post } from '../scale/scale-app.js';
import { CapturingLogger } from '../support/capturing-logger.js';
import { useCleanup } from '../support/cleanup.js';
import { describeWithRedis, RedisServer } from '../support/redis-server.js';
import { startApp, type TestApp } from '../support/test-app.js';
import { TestClient } from '../support/ws-client.js';

/*
 * "An entity with a secret field returned by an action never shows the field on the wire": entities
 * with secrets (on themselves, on a nested entity, on each entity of an array) returned by actions and
 * published on channels (locally, through the HTTP bridge, to another instance through Redis), under
 * each `outputValidation` mode, frames and log lines asserted.
 */

/** Every secret below contains it: a frame or a log line that shows it shows a secret. */
const SECRET = 'S3CRET';
const TOKEN = 'bridge-token';
const AUTH = { authorization: `Bearer ${TOKEN}` };

class AddressDto {
  @IsString()
  city!: string;
}

class UserDto {
  @IsInt()
  id!: number;

  @IsString()
  name!: string;

  @IsDate()
  createdAt!: Date;

  @ValidateNested()
  @Type(() => AddressDto)
  address!: AddressDto;

  @IsArray()
  @ValidateNested({ each: true })
  @Type(() => AddressDto)
  previous!: AddressDto[];

  /** Free-form: sent as it is. */
  @IsOptional()
  @IsObject()
  settings?: Record<string, unknown>;

  /** A getter on the entity. */
  @IsString()
  displayName!: string;
}

class AddressEntity {
  city = 'Paris';
  doorCode = `door-${SECRET}`;
}

/** How often an entity's getter was read: a publication is projected once, whatever its subscribers. */
let getterReads = 0;

class UserEntity {
  id = 7;
  name: unknown = 'ada';
  passwordHash = `hash-${SECRET}`;
  createdAt = new Date(Date.UTC(2020, 0, 2, 3, 4, 5));
  address = new AddressEntity();
  previous = [new AddressEntity(), new AddressEntity()];
  settings = { theme: 'dark' };

  get displayName(): string {
    getterReads++;
    return `${String(this.name)}!`;
  }
}

/** What a client may see of a `UserEntity`: UserDto's properties, nothing else. */
const PROJECTED = {
  id: 7,
  name: 'ada',
  createdAt: '2020-01-02T03:04:05.000Z',
  address: { city: 'Paris' },
  previous: [{ city: 'Paris' }, { city: 'Paris' }],
  settings: { theme: 'dark' },
  displayName: 'ada!',
};

/** A user whose `name` breaks `@IsString()`, and whose nested address breaks its own rule. */
function invalidUser(): UserDto {
  const user = new UserEntity();
  user.name = 42;
  (user.address as { city: unknown }).city = 5;
  return user as unknown as UserDto;
}

const user = () => new UserEntity() as unknown as UserDto;

class WithExcluded {
  @IsString()
  shown = 'yes';

  @Exclude()
  @IsString()
  hidden = `hidden-${SECRET}`;
}

@Injectable()
class Users {
  constructor(
    @InjectChannel('users') private readonly users: Channel<UserDto>,
    @InjectChannel('user-history') private readonly history: HistoryChannel<UserDto>,
  ) {}

  @SocketAction('user', { reply: UserDto })
  user(): UserDto {
    return user();
  }

  @SocketAction('user_async', { reply: UserDto })
  async userAsync(): Promise<UserDto> {
    await new Promise((resolve) => setImmediate(resolve));
    return user();
  }

  @SocketAction('user_observable', { reply: UserDto })
  userObservable() {
    return of(user());
  }

  @SocketAction('user_list', { reply: [UserDto] })
  userList(): UserDto[] {
    return [user(), user()];
  }

  @SocketAction('invalid_user', { reply: UserDto })
  invalidUser(): UserDto {
    return invalidUser();
  }

  /** Opted in on its own, whatever the module says. */
  @SocketAction('strict_user', { reply: UserDto, outputValidation: 'error' })
  strictUser(): UserDto {
    return invalidUser();
  }

  @SocketAction('excluded', { reply: WithExcluded })
  excluded(): WithExcluded {
    return new WithExcluded();
  }

  @SocketAction('undeclared')
  undeclared() {
    return new UserEntity();
  }

  @SocketAction('publish')
  publish(@Data('valid') valid: boolean) {
    this.users.publish(valid ? user() : invalidUser());
  }

  @SocketAction('publish_history')
  async publishHistory() {
    await this.history.publish(user());
  }

  @SocketChannel('users', { payload: UserDto })
  subscribeUsers(): UserDto {
    return user();
  }

  @SocketChannel('user-history', { payload: UserDto, history: { size: 10, ttl: 60_000 } })
  subscribeHistory(): UserDto {
    return user();
  }

  /** Published through the HTTP bridge: the method's return value is the publication. */
  @SocketChannel('bridge', { payload: UserDto })
  bridge(@Data('valid') valid?: boolean): UserDto {
    return valid === false ? invalidUser() : user();
  }

  @SocketChannel('rooms/:roomId', { payload: UserDto, initialData: true })
  room(@ChannelParam('roomId') _roomId: string): UserDto {
    return user();
  }
}

const internalError = (channel: string, id: number) => ({
  type: 'error',
  code: 'INTERNAL_ERROR',
  message: 'Internal server error',
  channel,
  id,
});

describe('outputValidation: what a client sees of an entity with secrets', () => {
  const cleanup = useCleanup();
  let logger: CapturingLogger;
  let app: TestApp;
  let client: TestClient;
  let id = 0;

  async function start(outputValidation: OutputValidationMode | undefined, options: SocketApiModuleOptions = {}) {
    logger = new CapturingLogger();
    app = cleanup.track(
      await startApp(
        {
          imports: [
            SocketApiModule.forRoot({
              heartbeat: false,
              broadcast: { token: TOKEN },
              errorLogIntervalMs: 0,
              outputValidation,
              ...options,
            }),
          ],
          providers: [Users],
        },
        (nest) => nest.useLogger(logger),
      ),
    );
    client = await TestClient.open(app.url);
    cleanup.add(() => client.socket.terminate());
  }

  async function act(channel: string): Promise<unknown> {
    const messageId = ++id;
    client.send({ type: 'action', channel, id: messageId });
    const [frame] = await client.next();
    expect(frame).toMatchObject({ channel, id: messageId });
    return frame;
  }

  async function subscribe(channel: string, count = 1): Promise<unknown[]> {
    client.send({ type: 'subscribe', channel, id: `s-${channel}` });
    return client.next(count);
  }

  /** Nothing the server wrote (frames and log lines) holds a secret. */
  function expectNoSecret(...frames: unknown[]): void {
    for (const frame of frames) expect(JSON.stringify(frame)).not.toContain(SECRET);
    for (const line of logger.lines) expect(`${line.message}\n${line.details}`).not.toContain(SECRET);
  }

  describe.each<OutputValidationMode>(['error', 'warn'])("'%s': only the DTO's properties go out", (mode) => {
    beforeEach(() => start(mode));

    it.each(['user', 'user_async', 'user_observable'])('an action returning an entity (%s)', async (action) => {
      const frame = await act(action);
      expect(frame).toEqual({ type: 'action', channel: action, status: 'completed', id, data: PROJECTED });
      expectNoSecret(frame);
      expect(logger.lines.filter((line) => line.level === 'warn' || line.level === 'error')).toEqual([]);
    });

    it('an array of entities', async () => {
      const frame = await act('user_list');
      expect(frame).toMatchObject({ status: 'completed', data: [PROJECTED, PROJECTED] });
      expectNoSecret(frame);
    });

    it('a property the DTO excludes with @Exclude() stays out', async () => {
      expect(await act('excluded')).toMatchObject({ data: { shown: 'yes' } });
    });

    it('a publication from server code, to a local subscriber', async () => {
      expect(await subscribe('users')).toEqual([{ type: 'subscribed', channel: 'users', id: 's-users' }]);
      client.send({ type: 'action', channel: 'publish', data: { valid: true }, id: 'p' });
      const frames = await client.next(2);
      expect(frames).toContainEqual({ type: 'data', channel: 'users', data: PROJECTED });
      expectNoSecret(frames);
    });

    it('a publication is projected once, not once per subscriber', async () => {
      const others = await Promise.all([1, 2, 3].map(() => TestClient.open(app.url)));
      for (const other of others) {
        cleanup.add(() => other.socket.terminate());
        other.send({ type: 'subscribe', channel: 'users', id: 's' });
        await other.next();
      }
      await subscribe('users');
      const before = getterReads;
      client.send({ type: 'action', channel: 'publish', data: { valid: true }, id: 'p' });
      expect(await client.next(2)).toContainEqual({ type: 'data', channel: 'users', data: PROJECTED });
      for (const other of others)
        expect(await other.next()).toEqual([{ type: 'data', channel: 'users', data: PROJECTED }]);
      expect(getterReads - before).toBe(1);
    });

    it('a publication through the HTTP bridge', async () => {
      await subscribe('bridge');
      const http = app.url.replace('ws:', 'http:');
      expect(await post(`${http}/_broadcast`, { channel: 'bridge', data: {} }, AUTH)).toEqual({
        status: 200,
        body: { status: 'success' },
      });
      const frames = await client.next();
      expect(frames).toEqual([{ type: 'data', channel: 'bridge', data: PROJECTED }]);
      expectNoSecret(frames);
    });

    it('a publication to a history channel, live and recovered', async () => {
      const [subscribed] = await subscribe('user-history');
      expect(subscribed).toMatchObject({ type: 'subscribed', channel: 'user-history' });
      client.send({ type: 'action', channel: 'publish_history', id: 'h' });
      const frames = await client.next(2);
      expect(frames).toContainEqual({ type: 'data', channel: 'user-history', data: PROJECTED, offset: 1 });
      // A client that recovers it reads it from the store: projected there too.
      const late = await TestClient.open(app.url);
      cleanup.add(() => late.socket.terminate());
      const { epoch } = subscribed as { epoch: string };
      late.send({ type: 'subscribe', channel: 'user-history', id: 'r', recover: { epoch, offset: 0 } });
      const recovered = await late.next(2);
      expect(recovered).toContainEqual({ type: 'data', channel: 'user-history', data: PROJECTED, offset: 1 });
      expectNoSecret(frames, recovered);
    });

    it("a pattern channel's initial data", async () => {
      const frames = await subscribe('rooms/1', 2);
      expect(frames).toContainEqual({ type: 'data', channel: 'rooms/1', data: PROJECTED });
      expectNoSecret(frames);
    });

    it('a handler without a declared type is sent as it returns', async () => {
      expect(JSON.stringify(await act('undeclared'))).toContain(SECRET);
    });
  });

  it.each<[OutputValidationMode | undefined, boolean]>([
    ['error', true],
    ['warn', true],
    [undefined, false],
  ])('the AsyncAPI document (%s): the reply is the DTO, marked projected when it is', async (mode, projected) => {
    await start(mode);
    const document = createSocketApiDocument(app.app) as unknown as {
      channels: Record<string, { messages: Record<string, Record<string, unknown>> }>;
      components: { schemas: Record<string, { properties: Record<string, unknown> }> };
    };
    const reply = document.channels['action.user'].messages.reply;
    const publication = document.channels['channel.users'].messages.publication;
    expect(JSON.stringify(reply.payload)).toContain('#/components/schemas/UserDto');
    expect(reply['x-socketapi-projected']).toBe(projected ? true : undefined);
    expect(publication['x-socketapi-projected']).toBe(projected ? true : undefined);
    expect(document.channels['action.undeclared'].messages.reply['x-socketapi-projected']).toBeUndefined();
    // What the schema lists is what the projection sends.
    expect(Object.keys(document.components.schemas.UserDto.properties).sort()).toEqual(Object.keys(PROJECTED).sort());
  });

  describe("'error': a value that breaks its DTO is not sent", () => {
    beforeEach(() => start('error'));

    it('an action: INTERNAL_ERROR with the request id; the log names the handler, the paths and the rules', async () => {
      const frame = await act('invalid_user');
      expect(frame).toEqual(internalError('invalid_user', id));
      const errors = logger.errors.map((line) => `${line.message}\n${line.details}`);
      expect(errors).toHaveLength(1);
      expect(errors[0]).toContain("action 'invalid_user' (Users.invalidUser())");
      expect(errors[0]).toContain('name (isString)');
      expect(errors[0]).toContain('address.city (isString)');
      expectNoSecret(frame);
      // The connection goes on.
      expect(await act('user')).toMatchObject({ data: PROJECTED });
    });

    it('a publication: the publisher gets the error, no subscriber gets anything, the log says why', async () => {
      await subscribe('users');
      client.send({ type: 'action', channel: 'publish', data: { valid: false }, id: 'p' });
      // The action publishing fails with the publication: nothing but its error comes.
      expect(await client.next()).toEqual([internalError('publish', 'p' as unknown as number)]);
      const errors = logger.errors.map((line) => `${line.message}\n${line.details}`);
      expect(errors.some((line) => line.includes("channel 'users'") && line.includes('address.city (isString)'))).toBe(
        true,
      );
      expectNoSecret();
    });

    it('through the HTTP bridge: a 500, nothing published', async () => {
      await subscribe('bridge');
      const http = app.url.replace('ws:', 'http:');
      expect(await post(`${http}/_broadcast`, { channel: 'bridge', data: { valid: false } }, AUTH)).toMatchObject({
        status: 500,
      });
      client.send({ type: 'ping', id: 'after' });
      expect(await client.next()).toEqual([{ type: 'pong', id: 'after' }]);
      expectNoSecret();
    });
  });

  describe("'warn': the projection is sent, the violation logged", () => {
    beforeEach(() => start('warn'));

    it('an action: the projection, and one warning naming the handler and the paths', async () => {
      const frame = await act('invalid_user');
      expect(frame).toMatchObject({
        status: 'completed',
        data: { ...PROJECTED, name: 42, displayName: '42!', address: { city: 5 } },
      });
      const warns = logger.lines.filter((line) => line.level === 'warn').map((line) => line.message);
      expect(warns).toHaveLength(1);
      expect(warns[0]).toContain("action 'invalid_user' (Users.invalidUser())");
      expect(warns[0]).toContain('name (isString); address.city (isString)');
      expectNoSecret(frame);
    });

    it('rate-limited: many violations within errorLogIntervalMs give one line', async () => {
      await app.close();
      await start('warn', { errorLogIntervalMs: 60_000 });
      for (let n = 0; n < 5; n++) expect(await act('invalid_user')).toMatchObject({ status: 'completed' });
      const warns = logger.lines.filter((line) => line.level === 'warn');
      expect(warns).toHaveLength(1);
      expect(warns[0].message).toContain("action 'invalid_user'");
    });

    it('a publication: sent projected, logged once', async () => {
      await subscribe('users');
      client.send({ type: 'action', channel: 'publish', data: { valid: false }, id: 'p' });
      const frames = await client.next(2);
      expect(frames).toContainEqual({
        type: 'data',
        channel: 'users',
        data: { ...PROJECTED, name: 42, displayName: '42!', address: { city: 5 } },
      });
      expect(logger.lines.filter((line) => line.level === 'warn')).toHaveLength(1);
      expectNoSecret(frames);
    });
  });

  describe("'off' (the default): sent as the handler returns it", () => {
    beforeEach(() => start(undefined));

    it('the secret goes out, as before this option', async () => {
      expect(JSON.stringify(await act('user'))).toContain(SECRET);
    });

    it("a handler's own outputValidation wins", async () => {
      expect(await act('strict_user')).toEqual(internalError('strict_user', id));
      expect(logger.errors).toHaveLength(1);
    });
  });
});

describeWithRedis('outputValidation across two instances on Redis', () => {
  const cleanup = useCleanup();
  let redis: RedisServer;
  beforeAll(async () => (redis = await RedisServer.start()));
  afterAll(() => redis.stop());

  it('a publication made on one instance reaches the subscribers of the other projected', async () => {
    const start = async () =>
      cleanup.track(
        await startApp({
          imports: [
            SocketApiModule.forRoot({
              heartbeat: false,
              broadcast: { token: TOKEN },
              outputValidation: 'error',
              redis: { connection: redis.url, prefix: 'leak' },
            }),
          ],
          providers: [Users],
        }),
      );
    const [a, b] = [await start(), await start()];
    const client = await TestClient.open(b.url);
    cleanup.add(() => client.socket.terminate());
    client.send({ type: 'subscribe', channel: 'bridge', id: 1 });
    expect(await client.next()).toEqual([{ type: 'subscribed', channel: 'bridge', id: 1 }]);
    // Published on A, through its bridge; B has the subscriber. Retried until B listens on Redis.
    const http = a.url.replace('ws:', 'http:');
    let frames: unknown[] = [];
    for (let attempt = 0; frames.length === 0 && attempt < 50; attempt++) {
      expect((await post(`${http}/_broadcast`, { channel: 'bridge', data: {} }, AUTH)).status).toBe(200);
      await new Promise((resolve) => setTimeout(resolve, 100));
      frames = client.frames.splice(0);
    }
    expect(frames[0]).toEqual({ type: 'data', channel: 'bridge', data: PROJECTED });
    for (const frame of frames) expect(JSON.stringify(frame)).not.toContain(SECRET);
  });
});

class Undecorated {
  name = 'x';
}

@Injectable()
class WithoutReplyType {
  @SocketAction('anything', { outputValidation: 'warn' })
  anything() {
    return 1;
  }
}

@Injectable()
class UndecoratedReply {
  @SocketAction('undecorated', { reply: Undecorated })
  undecorated(): Undecorated {
    return new Undecorated();
  }
}

@Injectable()
class UnknownMode {
  @SocketAction('unknown', { reply: Number, outputValidation: 'strict' as OutputValidationMode })
  unknown(): number {
    return 1;
  }
}

describe('outputValidation: mistakes are startup errors naming the method', () => {
  const cleanup = useCleanup();
  const start = async (provider: new (...args: never[]) => unknown, outputValidation?: OutputValidationMode) =>
    cleanup.track(
      await startApp({
        imports: [SocketApiModule.forRoot({ heartbeat: false, outputValidation })],
        providers: [provider],
      }),
    );

  it('a handler that opts in without a declared type', async () => {
    await expect(start(WithoutReplyType)).rejects.toThrow(
      "WithoutReplyType.anything(): outputValidation 'warn' needs a declared reply type",
    );
  });

  it('a reply DTO without a decorated property, once projection is on (not while it is off)', async () => {
    await expect(start(UndecoratedReply, 'error')).rejects.toThrow(
      "UndecoratedReply.undecorated(): outputValidation 'error': Undecorated declares no property",
    );
    await start(UndecoratedReply);
  });

  it('an unknown mode on a handler', async () => {
    await expect(start(UnknownMode)).rejects.toThrow(
      `UnknownMode.unknown(): outputValidation must be 'error', 'warn' or 'off', got "strict"`,
    );
  });
});
