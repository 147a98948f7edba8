import 'reflect-metadata';
import { Injectable, UseGuards, type CanActivate, type ExecutionContext } from '@nestjs/common';
import {
  Data,
  SocketApiModule,
  SocketChannel,
  type HandshakeRequest,
  type SocketAuthenticator,
  type SocketConnection,
} from '../../lib/index.js';
import { ChannelHub } from '../../lib/channels/channel-hub.js';
import { MemoryPresenceStore } from '../../lib/channels/memory-presence-store.js';
import { useCleanup } from '../support/cleanup.js';
import { startApp, type TestApp } from '../support/test-app.js';
import { TestClient } from '../support/ws-client.js';

interface User {
  name: string;
  vip: boolean;
}

/** `?as=<name>[&vip]` at connect; `{as, vip}` at renewal. */
const byName: SocketAuthenticator<User> = {
  authenticate(request: HandshakeRequest) {
    const { as, vip } = request.query;
    return typeof as === 'string' ? { user: { name: as, vip: vip !== undefined }, subject: as } : undefined;
  },
  renew(credentials: unknown) {
    const { as, vip } = credentials as { as: string; vip: boolean };
    return { user: { name: as, vip }, subject: as };
  },
};

class VipOnly implements CanActivate {
  canActivate(context: ExecutionContext): boolean {
    return context.switchToWs().getClient<SocketConnection<User>>().user?.vip === true;
  }
}

@Injectable()
class Rooms {
  @SocketChannel('lobby', {
    presence: {
      joinLeave: true,
      info: (connection: SocketConnection, _params, data) => ({
        name: (connection as SocketConnection<User>).user?.name,
        status: (data as { status?: string } | undefined)?.status ?? 'here',
      }),
    },
  })
  lobby(@Data() _data: { status?: string }) {}

  @SocketChannel('silent', { presence: true })
  silent() {}

  @SocketChannel('news')
  news() {}

  @UseGuards(VipOnly)
  @SocketChannel('vip', { presence: { joinLeave: true } })
  vip() {}

  @SocketChannel('loud', { presence: { joinLeave: true, info: () => ({ blob: 'x'.repeat(5000) }) } })
  loud() {}
}

type Frame = Record<string, unknown>;

describe('presence in memory (one instance), over real sockets', () => {
  let t: TestApp;
  const cleanup = useCleanup();
  let pings = 0;

  beforeAll(async () => {
    t = await startApp({ imports: [SocketApiModule.forRoot({ auth: byName })], providers: [Rooms] });
  });
  afterAll(() => t.close());

  async function open(name: string, vip = false): Promise<TestClient> {
    return cleanup.track(await TestClient.open(`${t.url}/?as=${name}${vip ? '&vip' : ''}`));
  }

  /** Every frame the client got until the server answered a ping sent now: nothing arrives later by surprise. */
  async function settle(client: TestClient): Promise<Frame[]> {
    const id = `settle-${++pings}`;
    client.send({ type: 'ping', id });
    await client.waitFor(() => client.frames.some((frame) => (frame as Frame).id === id));
    const index = client.frames.findIndex((frame) => (frame as Frame).id === id);
    return client.frames.splice(0, index + 1).slice(0, index) as Frame[];
  }

  async function request(client: TestClient, message: Frame): Promise<Frame> {
    client.send(message);
    const frames = await settle(client);
    const reply = frames.find((frame) => frame.id === message.id);
    if (!reply) throw new Error(`no reply to ${JSON.stringify(message)} in ${JSON.stringify(frames)}`);
    return reply;
  }

  async function subscribe(client: TestClient, channel: string, data?: unknown): Promise<Frame> {
    return request(client, { type: 'subscribe', channel, data, id: `sub-${channel}` });
  }

  async function members(client: TestClient, channel: string): Promise<Frame[]> {
    const reply = await request(client, { type: 'presence', channel, id: `who-${channel}` });
    expect(reply).toMatchObject({ type: 'presence', channel });
    return reply.data as Frame[];
  }

  /** The client's own clientId: what the only member of a fresh channel is. */
  async function idOf(client: TestClient): Promise<string> {
    await subscribe(client, 'silent');
    const list = await members(client, 'silent');
    expect(list).toHaveLength(1);
    client.send({ type: 'unsubscribe', channel: 'silent', id: 'unsub-silent' });
    await settle(client);
    return list[0].clientId as string;
  }

  it('lists the subscribers with their info; each join goes to the others once, never to the joiner', async () => {
    const ann = await open('ann');
    const bob = await open('bob');
    const cid = await open('cid');
    const [annId, bobId, cidId] = [await idOf(ann), await idOf(bob), await idOf(cid)];

    expect(await subscribe(ann, 'lobby')).toEqual({ type: 'subscribed', channel: 'lobby', id: 'sub-lobby' });
    expect(await settle(ann)).toEqual([]);
    expect(await subscribe(bob, 'lobby', { status: 'busy' })).toEqual({
      type: 'subscribed',
      channel: 'lobby',
      id: 'sub-lobby',
    });
    expect(await settle(ann)).toEqual([
      { type: 'join', channel: 'lobby', data: { clientId: bobId, info: { name: 'bob', status: 'busy' } } },
    ]);
    await subscribe(cid, 'lobby');
    const cidJoin = {
      type: 'join',
      channel: 'lobby',
      data: { clientId: cidId, info: { name: 'cid', status: 'here' } },
    };
    expect(await settle(ann)).toEqual([cidJoin]);
    expect(await settle(bob)).toEqual([cidJoin]);
    expect(await settle(cid)).toEqual([]);

    expect(await members(bob, 'lobby')).toEqual([
      { clientId: annId, info: { name: 'ann', status: 'here' } },
      { clientId: bobId, info: { name: 'bob', status: 'busy' } },
      { clientId: cidId, info: { name: 'cid', status: 'here' } },
    ]);

    // Subscribing again (new data): the member's info is updated, and nobody is told it joined again.
    await subscribe(bob, 'lobby', { status: 'away' });
    expect(await settle(ann)).toEqual([]);
    expect((await members(ann, 'lobby'))[1]).toEqual({ clientId: bobId, info: { name: 'bob', status: 'away' } });
  });

  it('a leave on unsubscribe and on close, to the others once; then the member is no longer listed', async () => {
    const ann = await open('ann');
    const bob = await open('bob');
    const cid = await open('cid');
    const [bobId, cidId] = [await idOf(bob), await idOf(cid)];
    for (const client of [ann, bob, cid]) await subscribe(client, 'lobby');
    await settle(ann);
    await settle(bob);

    bob.send({ type: 'unsubscribe', channel: 'lobby', id: 'u' });
    expect(await settle(bob)).toEqual([{ type: 'unsubscribed', channel: 'lobby', id: 'u' }]);
    const bobLeft = { type: 'leave', channel: 'lobby', data: { clientId: bobId } };
    expect(await settle(ann)).toEqual([bobLeft]);
    expect(await settle(cid)).toEqual([bobLeft]);
    // A second unsubscribe removes nothing: no second leave.
    bob.send({ type: 'unsubscribe', channel: 'lobby', id: 'u2' });
    await settle(bob);

    await cid.close();
    await ann.waitFor(() => ann.frames.length > 0);
    expect(await settle(ann)).toEqual([{ type: 'leave', channel: 'lobby', data: { clientId: cidId } }]);
    expect((await members(ann, 'lobby')).map((member) => member.clientId)).toEqual([await idOf(ann)]);
  });

  it('a renewal that drops the channel (its guard now refuses) sends the leave', async () => {
    const ann = await open('ann', true);
    const bob = await open('bob', true);
    const bobId = await idOf(bob);
    await subscribe(ann, 'vip');
    await subscribe(bob, 'vip');
    expect(await settle(ann)).toEqual([{ type: 'join', channel: 'vip', data: { clientId: bobId } }]);

    bob.send({ type: 'auth', data: { as: 'bob', vip: false }, id: 'renew' });
    const frames = await settle(bob);
    expect(frames).toContainEqual({ type: 'unsubscribed', channel: 'vip' });
    expect(await settle(ann)).toEqual([{ type: 'leave', channel: 'vip', data: { clientId: bobId } }]);
    expect(await members(ann, 'vip')).toHaveLength(1);
  });

  it('`presence: true`: members with their clientId only, and no join or leave frames', async () => {
    const ann = await open('ann');
    const bob = await open('bob');
    const annId = await idOf(ann);
    const bobId = await idOf(bob);
    await subscribe(ann, 'silent');
    await subscribe(bob, 'silent');
    expect(await members(ann, 'silent')).toEqual([{ clientId: annId }, { clientId: bobId }]);
    await bob.close();
    expect(await settle(ann)).toEqual([]);
    expect(await members(ann, 'silent')).toEqual([{ clientId: annId }]);
  });

  it('answers PRESENCE_DISABLED, CHANNEL_NOT_FOUND and NOT_SUBSCRIBED', async () => {
    const ann = await open('ann');
    expect(await request(ann, { type: 'presence', channel: 'news', id: 1 })).toEqual({
      type: 'error',
      code: 'PRESENCE_DISABLED',
      message: "Channel 'news' has no presence.",
      channel: 'news',
      id: 1,
    });
    expect(await request(ann, { type: 'presence', channel: 'nowhere', id: 2 })).toEqual({
      type: 'error',
      code: 'CHANNEL_NOT_FOUND',
      message: "Channel 'nowhere' not found.",
      channel: 'nowhere',
      id: 2,
    });
    const notSubscribed = {
      type: 'error',
      code: 'NOT_SUBSCRIBED',
      message: "Not subscribed to channel 'lobby'.",
      channel: 'lobby',
      id: 3,
    };
    expect(await request(ann, { type: 'presence', channel: 'lobby', id: 3 })).toEqual(notSubscribed);
    // Subscribed by someone else is not enough.
    const bob = await open('bob');
    await subscribe(bob, 'lobby');
    expect(await request(ann, { type: 'presence', channel: 'lobby', id: 3 })).toEqual(notSubscribed);
    await subscribe(ann, 'lobby');
    ann.send({ type: 'unsubscribe', channel: 'lobby', id: 'u' });
    await settle(ann);
    expect(await request(ann, { type: 'presence', channel: 'lobby', id: 3 })).toEqual(notSubscribed);
  });

  it('an info over 4 KiB fails the subscribe (INTERNAL_ERROR): not subscribed, not a member', async () => {
    const bob = await open('bob');
    expect(await subscribe(bob, 'loud')).toEqual({
      type: 'error',
      code: 'INTERNAL_ERROR',
      message: 'Internal server error',
      channel: 'loud',
      id: 'sub-loud',
    });
    expect(await request(bob, { type: 'presence', channel: 'loud', id: 1 })).toMatchObject({ code: 'NOT_SUBSCRIBED' });
    expect((t.app.get(ChannelHub).presenceStore as MemoryPresenceStore).channelCount).toBe(0);
  });

  it('keeps nothing for a channel nobody is in', async () => {
    const clients = await Promise.all(['a', 'b', 'c'].map((name) => open(name)));
    for (const client of clients) await subscribe(client, 'lobby');
    const store = t.app.get(ChannelHub).presenceStore;
    expect(store).toBeInstanceOf(MemoryPresenceStore);
    expect((store as MemoryPresenceStore).channelCount).toBeGreaterThan(0);
    for (const client of clients) await client.close();
    await new Promise((resolve) => setTimeout(resolve, 50));
    expect((store as MemoryPresenceStore).channelCount).toBe(0);
  });
});
