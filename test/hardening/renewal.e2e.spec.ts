import 'reflect-metadata';
import { Injectable, UnauthorizedException, UseGuards, type CanActivate, type ExecutionContext } from '@nestjs/common';
import { SignJWT } from 'jose';
import {
  Connection,
  Data,
  jwtAuthenticator,
  SocketAction,
  SocketApiModule,
  SocketChannel,
  type ConnectGuardRequest,
  type HandshakeRequest,
  type SocketApiModuleOptions,
  type SocketAuthenticator,
  type SocketConnection,
  type SocketRenewal,
} from '../../lib/index.js';
import { useCleanup } from '../support/cleanup.js';
import { forceGc } from '../support/force-gc.js';
import { startApp, type TestApp } from '../support/test-app.js';
import { sleep } from '../support/wait.js';
import { refusedUpgrade, TestClient } from '../support/ws-client.js';

interface User {
  name: string;
  rooms: string[];
  banned?: boolean;
  revoked?: boolean;
}

/** Who may connect; `banned` users are refused by the connect guard, not by the authenticator. */
const USERS: Record<string, User> = {
  ada: { name: 'ada', rooms: ['a', 'b'] },
  'ada-a-only': { name: 'ada', rooms: ['a'] },
  'ada-banned': { name: 'ada', rooms: ['a', 'b'], banned: true },
  'ada-revoked': { name: 'ada', rooms: ['a', 'b'], revoked: true },
  bob: { name: 'bob', rooms: ['b'] },
  mallory: { name: 'mallory', rooms: ['a', 'b'], banned: true },
};

/** Credentials of the test authenticator, at connect (query) and at renewal (`data`). */
interface Credentials {
  as: string;
  ttlMs?: number;
  /** Overrides `expiresAt`, e.g. `'Infinity'`/`'NaN'` (JSON cannot carry them), to play a faulty authenticator. */
  expiresAt?: string;
  allowSubjectChange?: boolean;
  /** The identity has no `subject`, as from an authenticator that does not give one. */
  noSubject?: boolean;
  /** The renewal takes this long, to race it with a close or another renewal. */
  delayMs?: number;
}

/** The connections that renew() was called for, to check that a closed one is not kept alive. */
const renewedConnections: Array<WeakRef<SocketConnection>> = [];

function identityOf(credentials: Credentials): SocketRenewal<User> | undefined {
  const user = Object.hasOwn(USERS, credentials.as) ? USERS[credentials.as] : undefined;
  if (!user) return undefined;
  const expiresAt =
    credentials.expiresAt !== undefined ? Number(credentials.expiresAt) : Date.now() + (credentials.ttlMs ?? 60_000);
  const subject = credentials.noSubject ? undefined : user.name;
  return { user, subject, expiresAt, allowSubjectChange: credentials.allowSubjectChange };
}

/** An authenticator as users write one, with knobs for the tests. */
const byName: SocketAuthenticator<User> = {
  authenticate(request: HandshakeRequest) {
    const { as, ttlMs, expiresAt } = request.query;
    if (typeof as !== 'string') return undefined;
    const ttl = ttlMs === undefined ? undefined : Number(ttlMs);
    const identity = identityOf({ as, ttlMs: ttl, expiresAt: expiresAt as string | undefined });
    return identity && { user: identity.user, subject: identity.subject, expiresAt: identity.expiresAt };
  },
  async renew(credentials: unknown, connection: SocketConnection) {
    renewedConnections.push(new WeakRef(connection));
    const given = credentials as Credentials;
    if (given.delayMs) await sleep(given.delayMs);
    return identityOf(given);
  },
};

@Injectable()
class GuardLog {
  readonly seen: Array<{
    type: string;
    user?: string;
    renewing: boolean;
    header?: unknown;
    query: unknown;
    cookies: unknown;
  }> = [];
}

/** An async connect guard that resolves to false for banned users (HTTP 403 at connect). */
@Injectable()
class NotBanned implements CanActivate {
  constructor(private readonly log: GuardLog) {}
  async canActivate(context: ExecutionContext): Promise<boolean> {
    const request = context.switchToHttp().getRequest<ConnectGuardRequest<User>>();
    await sleep(5);
    this.log.seen.push({
      type: context.getType(),
      user: request.user?.name,
      renewing: request.renewing !== undefined,
      header: request.headers['x-client'],
      query: { ...request.query },
      cookies: { ...request.cookies },
    });
    if (request.user?.revoked) throw new UnauthorizedException('Session revoked');
    return request.user?.banned !== true;
  }
}

/** A channel guard that reads the subscription's parameters. */
class RoomMember implements CanActivate {
  canActivate(context: ExecutionContext): boolean {
    const user = context.switchToWs().getClient<SocketConnection<User>>().user;
    const { room } = context.switchToWs().getData<{ room?: string }>() ?? {};
    return room !== undefined && user?.rooms.includes(room) === true;
  }
}

@Injectable()
class Account {
  @SocketAction('me')
  me(@Connection() connection: SocketConnection<User>) {
    return {
      user: connection.user ?? null,
      subject: connection.subject ?? null,
      expiresAt: connection.expiresAt ?? null,
      subscriptions: connection.subscriptions,
    };
  }

  @UseGuards(RoomMember)
  @SocketChannel('room')
  room(@Data() _data: { room: string }) {}
}

async function app(options: Partial<SocketApiModuleOptions> = {}): Promise<TestApp> {
  return startApp({
    imports: [SocketApiModule.forRoot({ auth: byName, connectGuards: [NotBanned], ...options })],
    providers: [Account, GuardLog, NotBanned],
  });
}

interface Me {
  user: User | null;
  subject: string | null;
  expiresAt: number | null;
  subscriptions: string[];
}

async function me(client: TestClient, id: number): Promise<Me> {
  client.send({ type: 'action', channel: 'me', id });
  const [reply] = (await client.next()) as Array<{ data: Me; id: number }>;
  expect(reply.id).toBe(id);
  return reply.data;
}

describe('renewal runs the connect guards again', () => {
  let t: TestApp;
  const cleanup = useCleanup();
  const open = async (query: string, headers?: Record<string, string>) => {
    const client = await TestClient.open(`${t.url}/?${query}`, { headers });
    cleanup.track(client);
    return client;
  };
  beforeAll(async () => {
    t = await app();
  });
  afterEach(() => {
    t.app.get(GuardLog).seen.length = 0;
  });
  afterAll(() => t.close());

  it('an async connect guard that resolves to false gives HTTP 403 at connect', async () => {
    expect(await refusedUpgrade(`${t.url}/?as=mallory`)).toBe(403);
    expect(await refusedUpgrade(`${t.url}/?as=ada-banned`)).toBe(403);
    expect(t.app.get(GuardLog).seen.map(({ user, renewing }) => ({ user, renewing }))).toEqual([
      { user: 'mallory', renewing: false },
      { user: 'ada', renewing: false },
    ]);
  });

  it('what a guard throws counts as at connect: its HTTP status (401 here), at renewal the code of that status', async () => {
    expect(await refusedUpgrade(`${t.url}/?as=ada-revoked`)).toBe(401);
    const client = await open('as=ada');
    client.send({ type: 'auth', data: { as: 'ada-revoked' }, id: 1 });
    expect(await client.next()).toEqual([{ type: 'error', code: 'UNAUTHORIZED', message: 'Session revoked', id: 1 }]);
    expect((await me(client, 2)).user).toEqual(USERS.ada);
  });

  it('guards see at renewal what they saw at connect, with the new user', async () => {
    const client = await open('as=ada&lang=en', { 'x-client': 'tests', cookie: 'theme=dark' });
    client.send({ type: 'auth', data: { as: 'ada-a-only' }, id: 1 });
    expect(await client.next()).toEqual([
      { type: 'auth', status: 'renewed', data: { expiresAt: expect.any(Number) }, id: 1 },
    ]);
    const atConnect = { header: 'tests', query: { as: 'ada', lang: 'en' }, cookies: { theme: 'dark' } };
    expect(t.app.get(GuardLog).seen).toEqual([
      { type: 'http', user: 'ada', renewing: false, ...atConnect },
      { type: 'http', user: 'ada', renewing: true, ...atConnect },
    ]);
    expect((await me(client, 2)).user).toEqual(USERS['ada-a-only']);
  });

  it('a renewal the guards refuse is FORBIDDEN and changes nothing: identity, expiry timer, subscriptions', async () => {
    const client = await open('as=ada&ttlMs=2500');
    client.send({ type: 'subscribe', channel: 'room', data: { room: 'a' }, id: 1 });
    expect(await client.next()).toEqual([{ type: 'subscribed', channel: 'room', id: 1 }]);
    const before = await me(client, 2);

    client.send({ type: 'auth', data: { as: 'ada-banned', ttlMs: 600_000 }, id: 3 });
    expect(await client.next()).toEqual([{ type: 'error', code: 'FORBIDDEN', message: 'Forbidden resource', id: 3 }]);
    expect(await me(client, 4)).toEqual(before);
    expect(before.subscriptions).toEqual(['room']);
    // The old expiry is still armed: the refused renewal's 10 minutes did not replace it.
    expect(await client.next(1, 6000)).toEqual([{ type: 'error', code: 'TOKEN_EXPIRED', message: 'Token expired.' }]);
    expect(await client.closed()).toBe(1008);
  });
});

describe('renewal keeps the subject unless the authenticator allows a change', () => {
  let t: TestApp;
  const cleanup = useCleanup();
  beforeAll(async () => {
    t = await app();
  });
  afterAll(() => t.close());

  it('a user refused at connect cannot become a connection identity by renewing with their credentials', async () => {
    expect(await refusedUpgrade(`${t.url}/?as=mallory`)).toBe(403);
    const client = await TestClient.open(`${t.url}/?as=bob`);
    cleanup.track(client);
    client.send({ type: 'auth', data: { as: 'mallory' }, id: 1 });
    client.send({ type: 'auth', data: { as: 'ada' }, id: 2 });
    expect(await client.next(2)).toEqual([
      { type: 'error', code: 'FORBIDDEN', message: 'Credentials of another subject.', id: 1 },
      { type: 'error', code: 'FORBIDDEN', message: 'Credentials of another subject.', id: 2 },
    ]);
    expect((await me(client, 3)).user).toEqual(USERS.bob);
  });

  it('an identity without a subject cannot renew unless the renewal allows a subject change', async () => {
    const client = await TestClient.open(`${t.url}/?as=bob`);
    cleanup.track(client);
    client.send({ type: 'auth', data: { as: 'bob', noSubject: true }, id: 1 });
    expect(await client.next()).toEqual([
      { type: 'error', code: 'FORBIDDEN', message: 'Credentials of another subject.', id: 1 },
    ]);
    client.send({ type: 'auth', data: { as: 'bob', noSubject: true, allowSubjectChange: true }, id: 2 });
    expect(await client.next()).toMatchObject([{ type: 'auth', status: 'renewed', id: 2 }]);
    expect(await me(client, 3)).toMatchObject({ user: USERS.bob, subject: null });
  });

  it('with allowSubjectChange the subject may change, but the connect guards still decide', async () => {
    const client = await TestClient.open(`${t.url}/?as=bob`);
    cleanup.track(client);
    client.send({ type: 'auth', data: { as: 'mallory', allowSubjectChange: true }, id: 1 });
    expect(await client.next()).toEqual([{ type: 'error', code: 'FORBIDDEN', message: 'Forbidden resource', id: 1 }]);
    expect((await me(client, 2)).subject).toBe('bob');
    client.send({ type: 'auth', data: { as: 'ada', allowSubjectChange: true }, id: 3 });
    expect(await client.next()).toMatchObject([{ type: 'auth', status: 'renewed', id: 3 }]);
    expect(await me(client, 4)).toMatchObject({ user: USERS.ada, subject: 'ada' });
  });
});

describe('expiresAt is a finite number or absent, for any authenticator', () => {
  let t: TestApp;
  const cleanup = useCleanup();
  beforeAll(async () => {
    t = await app();
  });
  afterAll(() => t.close());

  it('an authenticator giving Infinity or NaN fails the handshake (500), as one that throws', async () => {
    expect(await refusedUpgrade(`${t.url}/?as=ada&expiresAt=Infinity`)).toBe(500);
    expect(await refusedUpgrade(`${t.url}/?as=ada&expiresAt=NaN`)).toBe(500);
  });

  it('credentials already expired are refused at connect (401), not given a socket that closes at once', async () => {
    expect(await refusedUpgrade(`${t.url}/?as=ada&expiresAt=${Date.now() - 1}`)).toBe(401);
  });

  it('at renewal: INTERNAL_ERROR for Infinity/NaN, UNAUTHORIZED when already expired; the identity stays, no Infinity on the wire', async () => {
    const client = await TestClient.open(`${t.url}/?as=ada`);
    cleanup.track(client);
    const before = await me(client, 1);
    client.send({ type: 'auth', data: { as: 'ada', expiresAt: 'Infinity' }, id: 2 });
    client.send({ type: 'auth', data: { as: 'ada', expiresAt: 'NaN' }, id: 3 });
    client.send({ type: 'auth', data: { as: 'ada', expiresAt: String(Date.now() - 1) }, id: 4 });
    const raw: string[] = [];
    client.socket.on('message', (data) => raw.push((data as Buffer).toString()));
    expect(await client.next(3)).toEqual([
      { type: 'error', code: 'INTERNAL_ERROR', message: 'Internal server error', id: 2 },
      { type: 'error', code: 'INTERNAL_ERROR', message: 'Internal server error', id: 3 },
      { type: 'error', code: 'UNAUTHORIZED', message: 'Invalid credentials.', id: 4 },
    ]);
    expect(raw.join()).not.toMatch(/Infinity|NaN|null/);
    expect(await me(client, 5)).toEqual(before);
  });
});

describe('a channel guard re-checked after a renewal', () => {
  let t: TestApp;
  const cleanup = useCleanup();
  beforeAll(async () => {
    t = await app();
  });
  afterAll(() => t.close());

  it("sees the subscription's own data: unchanged rights drop nothing, lost rights drop that channel", async () => {
    const client = cleanup.track(await TestClient.open(`${t.url}/?as=ada`));
    client.send({ type: 'subscribe', channel: 'room', data: { room: 'b' }, id: 1 });
    expect(await client.next()).toEqual([{ type: 'subscribed', channel: 'room', id: 1 }]);

    client.send({ type: 'auth', data: { as: 'ada' }, id: 2 });
    expect(await client.next()).toMatchObject([{ type: 'auth', status: 'renewed', id: 2 }]);
    expect((await me(client, 3)).subscriptions).toEqual(['room']);

    client.send({ type: 'auth', data: { as: 'ada-a-only' }, id: 4 });
    expect(await client.next(2)).toMatchObject([
      { type: 'unsubscribed', channel: 'room' },
      { type: 'auth', status: 'renewed', id: 4 },
    ]);
    expect((await me(client, 5)).subscriptions).toEqual([]);
  });
});

describe('renewals racing a close or each other', () => {
  let t: TestApp;
  let unguarded: TestApp;
  const cleanup = useCleanup();
  beforeAll(async () => {
    t = await app({ concurrency: 4 });
    unguarded = await app({ concurrency: 4, connectGuards: [] });
  });
  afterAll(() => Promise.all([t.close(), unguarded.close()]));

  it.each([
    ['with', () => t],
    ['without', () => unguarded],
  ])(
    'a renewal still running when the client leaves leaves nothing behind (%s connect guards): the connection can be collected',
    async (_with, server) => {
      const gc = forceGc();
      renewedConnections.length = 0;
      const client = await TestClient.open(`${server().url}/?as=ada`);
      client.send({ type: 'auth', data: { as: 'ada', ttlMs: 600_000, delayMs: 300 }, id: 1 });
      await sleep(50);
      expect(renewedConnections).toHaveLength(1);
      await client.close();
      await sleep(600); // the renewal has finished by now
      let collected = false;
      for (let attempt = 0; attempt < 20 && !collected; attempt++) {
        gc();
        await sleep(50);
        collected = renewedConnections[0].deref() === undefined;
      }
      expect(collected).toBe(true);
    },
  );

  it('one renewal at a time per connection: another one meanwhile is RATE_LIMITED and the first decides', async () => {
    const client = await TestClient.open(`${t.url}/?as=ada`);
    cleanup.track(client);
    client.send({ type: 'auth', data: { as: 'ada-a-only', ttlMs: 120_000, delayMs: 300 }, id: 1 });
    client.send({ type: 'auth', data: { as: 'ada', ttlMs: 600_000 }, id: 2 });
    const [second, first] = (await client.next(2)) as Array<{ id: number; data?: { expiresAt: number } }>;
    expect(second).toEqual({
      type: 'error',
      code: 'RATE_LIMITED',
      message: 'A renewal is already in progress.',
      id: 2,
    });
    expect(first).toMatchObject({ type: 'auth', status: 'renewed', id: 1 });
    expect(await me(client, 3)).toMatchObject({ user: USERS['ada-a-only'], expiresAt: first.data!.expiresAt });
    expect(first.data!.expiresAt).toBeLessThan(Date.now() + 200_000);
    // Once it is over, the next renewal runs.
    client.send({ type: 'auth', data: { as: 'ada' }, id: 4 });
    expect(await client.next()).toMatchObject([{ type: 'auth', status: 'renewed', id: 4 }]);
  });
});

describe('JWT expiry at the edges', () => {
  const SECRET = 'a-test-secret-of-at-least-32-bytes!!';
  const key = new TextEncoder().encode(SECRET);
  let t: TestApp;
  const cleanup = useCleanup();
  beforeAll(async () => {
    t = await startApp({
      imports: [SocketApiModule.forRoot({ auth: jwtAuthenticator({ secret: SECRET, clockToleranceSec: 30 }) })],
      providers: [Account],
    });
  });
  afterAll(() => t.close());

  const signed = (sub: string, exp: number | string) =>
    typeof exp === 'number'
      ? new SignJWT({}).setProtectedHeader({ alg: 'HS256' }).setSubject(sub).setExpirationTime(exp).sign(key)
      : rawToken(`{"sub":"${sub}","exp":${exp}}`);

  async function rawToken(payload: string): Promise<string> {
    const { createHmac } = await import('node:crypto');
    const encode = (text: string) => Buffer.from(text).toString('base64url');
    const signingInput = `${encode('{"alg":"HS256"}')}.${encode(payload)}`;
    return `${signingInput}.${createHmac('sha256', SECRET).update(signingInput).digest('base64url')}`;
  }

  it('a token accepted within clockToleranceSec is not expired at once after the upgrade', async () => {
    const exp = Math.floor(Date.now() / 1000) - 5;
    const client = cleanup.track(await TestClient.open(`${t.url}/?token=${await signed('ada', exp)}`));
    await sleep(500);
    expect(await me(client, 1)).toMatchObject({ subject: 'ada', expiresAt: (exp + 30) * 1000 });
    expect(client.closeCode).toBeUndefined();
  });

  it('an exp of 1e400 (Infinity) is refused: HTTP 401 at connect, UNAUTHORIZED at renewal', async () => {
    expect(await refusedUpgrade(`${t.url}/?token=${await signed('ada', '1e400')}`)).toBe(401);
    const client = cleanup.track(
      await TestClient.open(`${t.url}/?token=${await signed('ada', Math.floor(Date.now() / 1000) + 60)}`),
    );
    client.send({ type: 'auth', data: { token: await signed('ada', '1e400') }, id: 1 });
    expect(await client.next()).toEqual([
      { type: 'error', code: 'UNAUTHORIZED', message: 'Invalid credentials.', id: 1 },
    ]);
  });
});
