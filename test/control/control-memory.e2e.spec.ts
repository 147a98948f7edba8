import 'reflect-metadata';
import { SocketApiConnections, type SocketAuthenticator } from '../../lib/index.js';
import { useCleanup } from '../support/cleanup.js';
import { sleep } from '../support/wait.js';
import { refusedUpgrade } from '../support/ws-client.js';
import { ControlChannels, queryUser, startControlApp, subscribe, userClient } from './control-app.js';

describe('SocketApiConnections on one instance (in-memory broker)', () => {
  const cleanup = useCleanup();

  it('closeUser closes every connection of the user with the code and reason, and no one else', async () => {
    const app = await startControlApp(cleanup);
    const control = app.app.get(SocketApiConnections);
    const [a1, a2, b] = [
      await userClient(cleanup, app, 'alice'),
      await userClient(cleanup, app, 'alice'),
      await userClient(cleanup, app, 'bob'),
    ];
    const reasons: string[] = [];
    a1.socket.on('close', (_code, reason) => reasons.push(reason.toString()));
    await expect(control.closeUser('alice', 4003, 'Banned')).resolves.toBe(2);
    expect(await a1.closed()).toBe(4003);
    expect(await a2.closed()).toBe(4003);
    expect(reasons).toEqual(['Banned']);
    // bob still works
    b.send({ type: 'ping', id: 1 });
    await b.next(1);
    expect(b.closeCode).toBeUndefined();
    await expect(control.closeUser('alice')).resolves.toBe(0);
  });

  it('closeUser defaults to 1008 "Closed by the server" (the client does not reconnect)', async () => {
    const app = await startControlApp(cleanup);
    const ws = await userClient(cleanup, app, 'carol');
    const reason = new Promise<string>((resolve) => ws.socket.once('close', (_c, r) => resolve(r.toString())));
    await app.app.get(SocketApiConnections).closeUser('carol');
    expect(await ws.closed()).toBe(1008);
    expect(await reason).toBe('Closed by the server');
  });

  it('refuses bad arguments with a TypeError, acting on no one', async () => {
    const app = await startControlApp(cleanup);
    const control = app.app.get(SocketApiConnections);
    const ws = await userClient(cleanup, app, 'dave');
    await expect(control.closeUser('dave', 1005)).rejects.toThrow('code must be a close code');
    await expect(control.closeUser('dave', 2999)).rejects.toThrow(TypeError);
    await expect(control.closeUser('dave', 4000, 'x'.repeat(124))).rejects.toThrow('at most 123 bytes');
    await expect(control.closeUser('')).rejects.toThrow('userId must be a non-empty string');
    await expect(control.unsubscribeUser('dave', '')).rejects.toThrow('channel must be a non-empty string');
    await expect(control.listUser('u'.repeat(4097))).rejects.toThrow('at most 4096 characters');
    await expect(control.sendToUser('dave', 'nope', {})).rejects.toThrow("no @SocketChannel declares 'nope'");
    await expect(control.sendToUser('dave', 'log', {})).rejects.toThrow('keeps a history');
    await expect(control.sendToUser('dave', 'news', { n: 1n })).rejects.toThrow();
    await sleep(50);
    expect(ws.closeCode).toBeUndefined();
  });

  it('unsubscribeUser takes the user out of a concrete channel with an unsubscribed frame without id', async () => {
    const app = await startControlApp(cleanup);
    const control = app.app.get(SocketApiConnections);
    const alice = await userClient(cleanup, app, 'alice');
    const bob = await userClient(cleanup, app, 'bob');
    for (const ws of [alice, bob]) {
      await subscribe(ws, 'rooms/1');
      await subscribe(ws, 'news');
    }
    await expect(control.unsubscribeUser('alice', 'rooms/1')).resolves.toBe(1);
    expect(await alice.next(1)).toEqual([{ type: 'unsubscribed', channel: 'rooms/1' }]);
    // No longer gets the room's publications, still gets the news; bob gets both.
    await expect(control.sendToUser('alice', 'rooms/1', { text: 'x' })).resolves.toBe(0);
    await expect(control.unsubscribeUser('alice', 'rooms/1')).resolves.toBe(0);
    await expect(control.sendToUser('alice', 'news', { text: 'hi' })).resolves.toBe(1);
    expect(await alice.next(1)).toEqual([{ type: 'data', channel: 'news', data: { text: 'hi' } }]);
    const [list] = await control.listUser('alice');
    expect(list.subscriptions).toEqual(['news']);
    expect((await control.listUser('bob'))[0].subscriptions.sort()).toEqual(['news', 'rooms/1']);
    expect(bob.frames).toEqual([]);
  });

  it('sendToUser sends a data frame of the channel to the user’s subscribed connections only', async () => {
    const app = await startControlApp(cleanup);
    const control = app.app.get(SocketApiConnections);
    const subscribed = await userClient(cleanup, app, 'erin');
    const notSubscribed = await userClient(cleanup, app, 'erin');
    const other = await userClient(cleanup, app, 'frank');
    await subscribe(subscribed, 'news');
    await subscribe(other, 'news');
    await expect(control.sendToUser('erin', 'news', { text: 'for erin', at: new Date(0) })).resolves.toBe(1);
    expect(await subscribed.next(1)).toEqual([
      { type: 'data', channel: 'news', data: { text: 'for erin', at: '1970-01-01T00:00:00.000Z' } },
    ]);
    await sleep(50);
    expect(notSubscribed.frames).toEqual([]);
    expect(other.frames).toEqual([]);
  });

  it('listUser lists the user’s connections on this instance', async () => {
    const app = await startControlApp(cleanup);
    const control = app.app.get(SocketApiConnections);
    const before = Date.now();
    await userClient(cleanup, app, 'gina');
    const second = await userClient(cleanup, app, 'gina');
    await subscribe(second, 'news');
    const list = await control.listUser('gina');
    expect(list).toHaveLength(2);
    for (const info of list) {
      expect(info.instance).toBe('local');
      expect(info.id).toMatch(/^[0-9a-f-]{36}$/);
      expect(info.connectedAt).toBeGreaterThanOrEqual(before);
      expect(info.clientAddress).toBe('127.0.0.1');
    }
    expect(list.map((info) => info.subscriptions).sort()).toEqual([[], ['news']]);
    expect(await control.listUser('nobody')).toEqual([]);
    await second.close();
    expect(await control.listUser('gina')).toHaveLength(1);
  });

  it('maxConnectionsPerUser refuses the next handshake of that user with HTTP 429, others pass; a close frees a slot', async () => {
    const app = await startControlApp(cleanup, { maxConnectionsPerUser: 2 });
    const first = await userClient(cleanup, app, 'henry');
    await userClient(cleanup, app, 'henry');
    expect(await refusedUpgrade(`${app.url}/?user=henry`)).toBe(429);
    await userClient(cleanup, app, 'iris');
    await first.close();
    await userClient(cleanup, app, 'henry');
    expect(await refusedUpgrade(`${app.url}/?user=henry`)).toBe(429);
  });

  it('maxConnectionsPerUser: simultaneous handshakes of one user never pass the limit', async () => {
    const app = await startControlApp(cleanup, { maxConnectionsPerUser: 3 });
    const attempts = await Promise.allSettled(Array.from({ length: 10 }, () => userClient(cleanup, app, 'jack')));
    expect(attempts.filter((attempt) => attempt.status === 'fulfilled')).toHaveLength(3);
    expect(await app.app.get(SocketApiConnections).listUser('jack')).toHaveLength(3);
  });
});

describe('SocketApiConnections: a renewal that changes the subject moves the connection to its new user', () => {
  const cleanup = useCleanup();

  it('closeUser and listUser follow the new subject; maxConnectionsPerUser counts it for the new user', async () => {
    const renewing: SocketAuthenticator<{ id: string }> = {
      authenticate: (request) => queryUser.authenticate(request),
      renew(credentials) {
        const user = (credentials as { user?: unknown }).user;
        return typeof user === 'string' ? { user: { id: user }, subject: user, allowSubjectChange: true } : undefined;
      },
    };
    const app = await startControlApp(cleanup, { auth: renewing, maxConnectionsPerUser: 1 });
    const control = app.app.get(SocketApiConnections);
    const ws = await userClient(cleanup, app, 'old');
    ws.send({ type: 'auth', data: { user: 'new' }, id: 1 });
    expect(await ws.next(1)).toEqual([expect.objectContaining({ type: 'auth', id: 1 })]);
    expect(await control.listUser('old')).toEqual([]);
    expect(await control.listUser('new')).toHaveLength(1);
    // The old user's slot is free, the new user's is taken.
    await userClient(cleanup, app, 'old');
    expect(await refusedUpgrade(`${app.url}/?user=new`)).toBe(429);
    await expect(control.closeUser('old', 4000)).resolves.toBe(1);
    expect(ws.closeCode).toBeUndefined();
    await expect(control.closeUser('new', 4000)).resolves.toBe(1);
    expect(await ws.closed()).toBe(4000);
  });

  it('the service is injectable in the app’s providers', async () => {
    const app = await startControlApp(cleanup);
    expect(app.app.get(ControlChannels).connections).toBe(app.app.get(SocketApiConnections));
  });
});
