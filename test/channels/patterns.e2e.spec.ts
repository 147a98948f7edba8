import 'reflect-metadata';
import { Injectable, ParseIntPipe, UseGuards, type CanActivate, type ExecutionContext } from '@nestjs/common';
import { IsString, Length } from 'class-validator';
import {
  ChannelFamily,
  ChannelParam,
  Connection,
  Data,
  getChannelName,
  getChannelParams,
  InjectChannel,
  SocketAction,
  SocketApiModule,
  SocketChannel,
  type HandshakeRequest,
  type SocketAuthenticator,
  type SocketConnection,
} from '../../lib/index.js';
import { ChannelHub } from '../../lib/channels/channel-hub.js';
import { Redis } from 'ioredis';
import { post, redisSubscribers } from '../scale/scale-app.js';
import { describeWithRedis, RedisServer } from '../support/redis-server.js';
import { useCleanup } from '../support/cleanup.js';
import { startApp, type TestApp } from '../support/test-app.js';
import { sleep, waitFor } from '../support/wait.js';
import { TestClient } from '../support/ws-client.js';

interface Member {
  name: string;
  rooms: string[];
}

/** `?as=<name>` at connect, `{"as": <name>}` at renewal. */
const MEMBERS: Record<string, Member> = {
  ada: { name: 'ada', rooms: ['a', 'b'] },
  'ada-a-only': { name: 'ada', rooms: ['a'] },
};

const members: SocketAuthenticator<Member> = {
  authenticate(request: HandshakeRequest) {
    const as = request.query.as;
    const user = typeof as === 'string' && Object.hasOwn(MEMBERS, as) ? MEMBERS[as] : undefined;
    return user && { user, subject: user.name, expiresAt: Date.now() + 60_000 };
  },
  renew(credentials: unknown) {
    const as = (credentials as { as?: string }).as;
    const user = as !== undefined && Object.hasOwn(MEMBERS, as) ? MEMBERS[as] : undefined;
    return user && { user, subject: user.name, expiresAt: Date.now() + 60_000 };
  },
};

/** What the per-room guard saw, to check it is given the concrete channel. */
const seenByGuard: Array<{ params: unknown; name: string; pattern: string }> = [];

/** Per-room authorization: a member may enter the rooms listed for it. */
@Injectable()
class RoomMember implements CanActivate {
  canActivate(context: ExecutionContext): boolean {
    const { roomId } = getChannelParams(context);
    seenByGuard.push({
      params: getChannelParams(context),
      name: getChannelName(context),
      pattern: context.switchToWs().getPattern(),
    });
    const user = context.switchToWs().getClient<SocketConnection<Member>>().user;
    return user?.rooms.includes(roomId) ?? false;
  }
}

class Topic {
  @IsString()
  @Length(1, 3)
  section!: string;

  @IsString()
  topic!: string;
}

@Injectable()
class Rooms {
  constructor(@InjectChannel('rooms/:roomId') readonly rooms: ChannelFamily<{ message: string }, { roomId: string }>) {}

  @SocketChannel('rooms/:roomId', { initialData: true })
  room(@ChannelParam('roomId') roomId: string, @Data('greeting') greeting?: string) {
    return { roomId, greeting };
  }

  @SocketChannel('rooms/lobby', { initialData: true })
  lobby() {
    return 'the exact lobby';
  }

  @SocketChannel('items/:itemId', { initialData: true })
  item(@ChannelParam('itemId') itemId: number) {
    return { itemId };
  }

  @SocketChannel('pages/:page', { initialData: true })
  page(@ChannelParam('page', ParseIntPipe) page: number) {
    return { page, type: typeof page };
  }

  @SocketChannel('forums/:section/:topic', { initialData: true })
  forum(@ChannelParam() where: Topic) {
    return { section: where.section, topic: where.topic, isTopic: where instanceof Topic };
  }

  @UseGuards(RoomMember)
  @SocketChannel('secure/:roomId')
  secure() {
    return undefined;
  }

  @SocketAction('say')
  say(@Data('roomId') roomId: string) {
    return this.room(roomId, 'said');
  }

  @SocketAction('send_to_room')
  send(@Data('roomId') roomId: string, @Data('message') message: string) {
    this.rooms.to({ roomId }).publish({ message });
    return { sent: this.rooms.name({ roomId }) };
  }

  @SocketAction('subscriptions')
  subscriptions(@Connection() connection: SocketConnection) {
    return connection.subscriptions;
  }
}

const cleanup = useCleanup();

let ids = 0;

async function openApp(): Promise<TestApp> {
  return cleanup.track(
    await startApp({
      imports: [SocketApiModule.forRoot({ heartbeat: false, broadcast: {}, auth: members })],
      providers: [Rooms, RoomMember],
    }),
  );
}

async function connect(app: TestApp, as = 'ada'): Promise<TestClient> {
  const client = await TestClient.open(`${app.url}?as=${as}`);
  cleanup.add(() => client.socket.terminate());
  return client;
}

/** Sends a frame with a fresh id and returns the frames up to and including its answer. */
async function request(client: TestClient, frame: Record<string, unknown>, extra = 0): Promise<unknown[]> {
  const id = ++ids;
  client.send({ ...frame, id });
  await client.waitFor(() => client.frames.some((received) => (received as { id?: unknown }).id === id));
  const index = client.frames.findIndex((received) => (received as { id?: unknown }).id === id);
  return [...client.frames.splice(0, index + 1), ...(await client.next(extra))];
}

function hubOf(app: TestApp): ChannelHub {
  return app.app.get(ChannelHub);
}

describe('parameterized channels', () => {
  it('a client subscribes to a concrete channel; its frames carry the concrete name and the method gets the parameter', async () => {
    const app = await openApp();
    const client = await connect(app);
    const frames = await request(client, { type: 'subscribe', channel: 'rooms/42', data: { greeting: 'hi' } }, 1);
    expect(frames).toEqual([
      { type: 'subscribed', channel: 'rooms/42', id: ids },
      { type: 'data', channel: 'rooms/42', data: { roomId: '42', greeting: 'hi' } },
    ]);
    expect(await request(client, { type: 'action', channel: 'subscriptions' })).toEqual([
      { type: 'action', channel: 'subscriptions', data: ['rooms/42'], status: 'completed', id: ids },
    ]);
  });

  it('an exact name wins over a pattern that matches it', async () => {
    const app = await openApp();
    const client = await connect(app);
    const frames = await request(client, { type: 'subscribe', channel: 'rooms/lobby' }, 1);
    expect(frames[1]).toEqual({ type: 'data', channel: 'rooms/lobby', data: 'the exact lobby' });
  });

  it('a name no pattern matches (another segment count, an empty or 129-character parameter) is CHANNEL_NOT_FOUND', async () => {
    const app = await openApp();
    const client = await connect(app);
    for (const channel of ['rooms', 'rooms/', 'rooms/1/2', 'room/1', `rooms/${'r'.repeat(129)}`]) {
      expect(await request(client, { type: 'subscribe', channel })).toEqual([
        {
          type: 'error',
          channel,
          code: 'CHANNEL_NOT_FOUND',
          message: `Channel '${channel}' not found.`,
          id: ids,
        },
      ]);
    }
  });

  it('a parameter is coerced and validated like @Data: a bad one is VALIDATION_ERROR with the path :name', async () => {
    const app = await openApp();
    const client = await connect(app);
    expect((await request(client, { type: 'subscribe', channel: 'items/7' }, 1))[1]).toEqual({
      type: 'data',
      channel: 'items/7',
      data: { itemId: 7 },
    });
    const [error] = await request(client, { type: 'subscribe', channel: 'items/seven' });
    expect(error).toMatchObject({
      type: 'error',
      channel: 'items/seven',
      code: 'VALIDATION_ERROR',
      message: "Invalid parameters for channel 'items/:itemId'",
      errors: [{ path: ':itemId', messages: [':itemId must be a number conforming to the specified constraints'] }],
    });
  });

  it('@ChannelParam() takes every parameter as a DTO; its errors are named :property', async () => {
    const app = await openApp();
    const client = await connect(app);
    expect((await request(client, { type: 'subscribe', channel: 'forums/art/cats' }, 1))[1]).toEqual({
      type: 'data',
      channel: 'forums/art/cats',
      data: { section: 'art', topic: 'cats', isTopic: true },
    });
    const [error] = await request(client, { type: 'subscribe', channel: 'forums/science/cats' });
    expect(error).toMatchObject({
      code: 'VALIDATION_ERROR',
      errors: [{ path: ':section', messages: ['section must be shorter than or equal to 3 characters'] }],
    });
  });

  it("a parameter's pipes run after it is read (ParseIntPipe)", async () => {
    const app = await openApp();
    const client = await connect(app);
    expect((await request(client, { type: 'subscribe', channel: 'pages/12' }, 1))[1]).toEqual({
      type: 'data',
      channel: 'pages/12',
      data: { page: 12, type: 'number' },
    });
  });

  it('guards see the parameters and the concrete name (per-room authorization); getPattern() stays the declared name', async () => {
    seenByGuard.length = 0;
    const app = await openApp();
    const client = await connect(app, 'ada-a-only');
    expect(await request(client, { type: 'subscribe', channel: 'secure/a' })).toEqual([
      { type: 'subscribed', channel: 'secure/a', id: ids },
    ]);
    expect(await request(client, { type: 'subscribe', channel: 'secure/b' })).toEqual([
      { type: 'error', channel: 'secure/b', code: 'FORBIDDEN', message: 'Forbidden resource', id: ids },
    ]);
    expect(seenByGuard).toEqual([
      { params: { roomId: 'a' }, name: 'secure/a', pattern: 'secure/:roomId' },
      { params: { roomId: 'b' }, name: 'secure/b', pattern: 'secure/:roomId' },
    ]);
  });

  it('a renewal drops the rooms the new identity may no longer enter, each with its concrete name', async () => {
    const app = await openApp();
    const client = await connect(app, 'ada');
    await request(client, { type: 'subscribe', channel: 'secure/a' });
    await request(client, { type: 'subscribe', channel: 'secure/b' });
    const frames = await request(client, { type: 'auth', data: { as: 'ada-a-only' } });
    expect(frames[0]).toEqual({ type: 'unsubscribed', channel: 'secure/b' });
    expect(frames[1]).toMatchObject({ type: 'auth', id: ids });
    expect(await request(client, { type: 'action', channel: 'subscriptions' })).toEqual([
      { type: 'action', channel: 'subscriptions', data: ['secure/a'], status: 'completed', id: ids },
    ]);
    expect(hubOf(app).live.has('secure/b')).toBe(false);
  });

  it('calling the method with its parameters publishes to that concrete channel only', async () => {
    const app = await openApp();
    const in42 = await connect(app);
    const in43 = await connect(app);
    await request(in42, { type: 'subscribe', channel: 'rooms/42' }, 1);
    await request(in43, { type: 'subscribe', channel: 'rooms/43' }, 1);
    const caller = await connect(app);
    await request(caller, { type: 'action', channel: 'say', data: { roomId: '42' } });
    expect(await in42.next()).toEqual([
      { type: 'data', channel: 'rooms/42', data: { roomId: '42', greeting: 'said' } },
    ]);
    await sleep(50);
    expect(in43.frames).toEqual([]);
  });

  it('ChannelFamily.to(params).publish publishes to one concrete channel; name(params) gives its name', async () => {
    const app = await openApp();
    const in7 = await connect(app);
    const in8 = await connect(app);
    await request(in7, { type: 'subscribe', channel: 'rooms/7' }, 1);
    await request(in8, { type: 'subscribe', channel: 'rooms/8' }, 1);
    const caller = await connect(app);
    expect(
      await request(caller, { type: 'action', channel: 'send_to_room', data: { roomId: '7', message: 'hello' } }),
    ).toEqual([{ type: 'action', channel: 'send_to_room', data: { sent: 'rooms/7' }, status: 'completed', id: ids }]);
    expect(await in7.next()).toEqual([{ type: 'data', channel: 'rooms/7', data: { message: 'hello' } }]);
    // A room nobody is in: published to no one, and nothing is kept for it.
    await request(caller, { type: 'action', channel: 'send_to_room', data: { roomId: 'empty', message: 'x' } });
    expect(hubOf(app).live.has('rooms/empty')).toBe(false);
    await sleep(50);
    expect(in8.frames).toEqual([]);
  });

  it('the injected family checks its parameters: missing, empty or holding a / throws a TypeError naming it', async () => {
    const app = await openApp();
    const { rooms } = app.app.get(Rooms);
    expect(rooms.pattern).toBe('rooms/:roomId');
    expect(() => rooms.to({ roomId: '' })).toThrow(TypeError);
    expect(() => rooms.to({ roomId: 'a/b' })).toThrow("parameter 'roomId' must be a non-empty string without '/'");
    expect(() => rooms.to({ roomId: 'r'.repeat(129) })).toThrow('at most 128 characters');
    expect(() => rooms.to({} as { roomId: string })).toThrow("parameter 'roomId'");
  });

  it("a concrete channel's handle observes the publications of that channel, made here, with subscribers or not", async () => {
    const app = await openApp();
    const { rooms } = app.app.get(Rooms);
    const seen: unknown[] = [];
    const subscription = rooms
      .to({ roomId: '3' })
      .asObservable()
      .subscribe((payload) => seen.push(payload));
    cleanup.add(() => subscription.unsubscribe());
    const client = await connect(app);
    await request(client, { type: 'subscribe', channel: 'rooms/3' }, 1);
    rooms.to({ roomId: '3' }).publish({ message: 'with a subscriber' });
    rooms.to({ roomId: '4' }).publish({ message: 'another room' });
    await request(client, { type: 'unsubscribe', channel: 'rooms/3' });
    rooms.to({ roomId: '3' }).next({ message: 'nobody subscribed' });
    expect(seen).toEqual([{ message: 'with a subscriber' }, { message: 'nobody subscribed' }]);
    expect(rooms.to({ roomId: '3' }).subscriberCount).toBe(0);
  });

  it('a concrete channel is forgotten when its last subscriber leaves (unsubscribe or close)', async () => {
    const app = await openApp();
    const hub = hubOf(app);
    const first = await connect(app);
    const second = await connect(app);
    await request(first, { type: 'subscribe', channel: 'rooms/9' }, 1);
    await request(second, { type: 'subscribe', channel: 'rooms/9' }, 1);
    expect([...hub.live.keys()]).toEqual(['rooms/9']);
    await request(first, { type: 'unsubscribe', channel: 'rooms/9' });
    expect(hub.live.has('rooms/9')).toBe(true);
    second.socket.terminate();
    await waitFor(() => hub.live.size === 0, { what: 'rooms/9 forgotten' });
  });

  it('the HTTP bridge publishes to a concrete channel, the method getting its parameters', async () => {
    const app = await openApp();
    const client = await connect(app);
    await request(client, { type: 'subscribe', channel: 'rooms/5' }, 1);
    const http = app.url.replace('ws://', 'http://');
    expect(await post(`${http}/_broadcast`, { channel: 'rooms/5', data: { greeting: 'bridged' } })).toEqual({
      status: 200,
      body: { status: 'success' },
    });
    expect(await client.next()).toEqual([
      { type: 'data', channel: 'rooms/5', data: { roomId: '5', greeting: 'bridged' } },
    ]);
    expect((await post(`${http}/_broadcast`, { channel: 'items/x', data: {} })).status).toBe(400);
    expect((await post(`${http}/_broadcast`, { channel: 'nowhere/1', data: {} })).status).toBe(404);
  });
});

describe('declarations', () => {
  async function boot(...providers: Array<new (...args: never[]) => unknown>): Promise<void> {
    const app = await startApp({ imports: [SocketApiModule.forRoot({ heartbeat: false })], providers });
    await app.close();
  }

  it('two patterns that can match the same name are a startup error naming both and a name both match', async () => {
    @Injectable()
    class ByRoom {
      @SocketChannel('rooms/:roomId')
      room() {}
    }
    @Injectable()
    class ByOwner {
      @SocketChannel(':owner/42')
      owned() {}
    }
    await expect(boot(ByRoom, ByOwner)).rejects.toThrow(
      "ByOwner.owned(): channel ':owner/42' and channel 'rooms/:roomId' of ByRoom.room() can both match 'rooms/42'",
    );
  });

  it('patterns that differ in a literal segment, or in their segment count, do not conflict', async () => {
    @Injectable()
    class Distinct {
      @SocketChannel('rooms/:roomId')
      room() {}
      @SocketChannel('users/:userId')
      user() {}
      @SocketChannel('rooms/:roomId/messages')
      messages() {}
    }
    await expect(boot(Distinct)).resolves.toBeUndefined();
  });

  it('@ChannelParam naming no parameter of the pattern, or on an action, or a malformed :param, fails at startup', async () => {
    @Injectable()
    class Misnamed {
      @SocketChannel('rooms/:roomId')
      room(@ChannelParam('room') room: string) {
        return room;
      }
    }
    await expect(boot(Misnamed)).rejects.toThrow(
      "Misnamed.room(): @ChannelParam('room'): channel 'rooms/:roomId' has no parameter ':room' (its parameters: :roomId).",
    );
    @Injectable()
    class OnAction {
      @SocketAction('act')
      act(@ChannelParam('x') x: string) {
        return x;
      }
    }
    await expect(boot(OnAction)).rejects.toThrow('OnAction.act(): @ChannelParam() is for the parameters');
    @Injectable()
    class Malformed {
      @SocketChannel('rooms/:1')
      room() {}
    }
    await expect(boot(Malformed)).rejects.toThrow("Malformed.room(): Channel 'rooms/:1': ':1' is not a parameter");
  });
});

/** Concrete channels across instances: what one publishes reaches the subscribers of that name on the other. */
@Injectable()
class SharedRooms {
  constructor(@InjectChannel('shared/:roomId') readonly rooms: ChannelFamily<{ n: number }, { roomId: string }>) {}

  @SocketChannel('shared/:roomId', {
    filter: (payload, { data }) => (payload as { n: number }).n >= ((data as { min?: number }).min ?? 0),
  })
  room(@ChannelParam('roomId') roomId: string) {
    return roomId;
  }

  @SocketAction('publish')
  publish(@Data('roomId') roomId: string, @Data('n') n: number) {
    this.rooms.to({ roomId }).publish({ n });
  }
}

describeWithRedis('parameterized channels through Redis', () => {
  let redis: RedisServer;
  let admin: Redis;

  beforeAll(async () => {
    redis = await RedisServer.start();
    admin = new Redis(redis.url);
  });

  afterAll(async () => {
    await admin?.quit();
    await redis?.stop();
  });

  async function instance(prefix: string): Promise<TestApp> {
    return cleanup.track(
      await startApp({
        imports: [SocketApiModule.forRoot({ heartbeat: false, redis: { connection: redis.url, prefix } })],
        providers: [SharedRooms],
      }),
    );
  }

  it('a publication to a concrete channel on A reaches its subscribers on B (filtered there on the same plain payload), and only them', async () => {
    const [a, b] = [await instance('p1'), await instance('p1')];
    const [onB, otherOnB, pickyOnB, publisher] = [
      await connect(b),
      await connect(b),
      await connect(b),
      await connect(a),
    ];
    await request(onB, { type: 'subscribe', channel: 'shared/1' });
    await request(otherOnB, { type: 'subscribe', channel: 'shared/2' });
    await request(pickyOnB, { type: 'subscribe', channel: 'shared/1', data: { min: 5 } });
    await redisSubscribers(admin, 'p1', 'shared/1', 1);
    await redisSubscribers(admin, 'p1', 'shared/2', 1);
    for (const n of [1, 9]) await request(publisher, { type: 'action', channel: 'publish', data: { roomId: '1', n } });
    await onB.waitFor(() => onB.frames.length === 2);
    await pickyOnB.waitFor(() => pickyOnB.frames.length === 1);
    expect(onB.frames.splice(0)).toEqual([
      { type: 'data', channel: 'shared/1', data: { n: 1 } },
      { type: 'data', channel: 'shared/1', data: { n: 9 } },
    ]);
    expect(pickyOnB.frames.splice(0)).toEqual([{ type: 'data', channel: 'shared/1', data: { n: 9 } }]);
    await sleep(50);
    expect(otherOnB.frames).toEqual([]);
    // The last subscriber of shared/1 on B leaves: B stops listening to it and forgets it.
    await request(onB, { type: 'unsubscribe', channel: 'shared/1' });
    await request(pickyOnB, { type: 'unsubscribe', channel: 'shared/1' });
    await redisSubscribers(admin, 'p1', 'shared/1', 0);
    expect([...hubOf(b).live.keys()]).toEqual(['shared/2']);
  });
});
