import 'reflect-metadata';
import { Injectable, UseGuards, type CanActivate, type ExecutionContext } from '@nestjs/common';
import { SignJWT } from 'jose';
import {
  Connection,
  jwtAuthenticator,
  SocketAction,
  SocketApiModule,
  SocketChannel,
  type SocketConnection,
} from '../../lib/index.js';
import { useCleanup } from '../support/cleanup.js';
import { startApp, type TestApp } from '../support/test-app.js';
import { refusedUpgrade, TestClient } from '../support/ws-client.js';

const SECRET = 'a-test-secret-of-at-least-32-bytes!!';
const key = new TextEncoder().encode(SECRET);

interface Claims {
  sub: string;
  plan?: string;
}

async function token(claims: Claims, expiresInSeconds: number, secret = key): Promise<string> {
  // Not rounded down to the second: a token of `expiresInSeconds` 1 must live 1 s, not 0 to 1 s.
  const now = Date.now() / 1000;
  return new SignJWT({ plan: claims.plan })
    .setProtectedHeader({ alg: 'HS256' })
    .setSubject(claims.sub)
    .setIssuedAt(now)
    .setExpirationTime(now + expiresInSeconds)
    .sign(secret);
}

/**
 * A token that lives at least `minMs` and less than `minMs` + 1 s: `exp` is in whole seconds, so
 * "now + 1 s" would live anywhere from 0 to 1000 ms (and fail now and then). Also its expiry in ms.
 */
async function shortToken(claims: Claims, minMs: number): Promise<{ jwt: string; expiresAt: number }> {
  const exp = Math.ceil((Date.now() + minMs) / 1000);
  const jwt = await new SignJWT({ plan: claims.plan })
    .setProtectedHeader({ alg: 'HS256' })
    .setSubject(claims.sub)
    .setExpirationTime(exp)
    .sign(key);
  return { jwt, expiresAt: exp * 1000 };
}

class PremiumOnly implements CanActivate {
  canActivate(context: ExecutionContext): boolean {
    return context.switchToWs().getClient<SocketConnection<Claims>>().user?.plan === 'premium';
  }
}

@Injectable()
class Account {
  @SocketAction('me')
  me(@Connection() connection: SocketConnection<Claims>) {
    return { sub: connection.user?.sub, plan: connection.user?.plan ?? null, expiresAt: connection.expiresAt };
  }

  @SocketChannel('news')
  news() {}

  @UseGuards(PremiumOnly)
  @SocketChannel('premium')
  premium() {}
}

describe('JWT authentication over a real socket', () => {
  let t: TestApp;
  beforeAll(async () => {
    t = await startApp({
      imports: [SocketApiModule.forRoot({ auth: jwtAuthenticator({ secret: SECRET }) })],
      providers: [Account],
    });
  });
  afterAll(() => t.close());

  it('accepts a valid token from the Authorization header, the query or the subprotocol', async () => {
    const jwt = await token({ sub: 'ada', plan: 'premium' }, 60);
    const viaHeader = await TestClient.open(t.url, { headers: { authorization: `Bearer ${jwt}` } });
    const viaQuery = await TestClient.open(`${t.url}/?token=${jwt}`);
    const viaProtocol = await TestClient.open(t.url, { protocols: ['bearer', jwt] });
    expect(viaProtocol.socket.protocol).toBe('bearer');
    for (const client of [viaHeader, viaQuery, viaProtocol]) {
      client.send({ type: 'action', channel: 'me' });
      const [reply] = (await client.next()) as Array<{ data: { sub: string; plan: string; expiresAt: number } }>;
      expect(reply.data).toMatchObject({ sub: 'ada', plan: 'premium' });
      expect(reply.data.expiresAt).toBeGreaterThan(Date.now());
      await client.close();
    }
  });

  it('refuses expired tokens, bad signatures and garbage with HTTP 401', async () => {
    expect(await refusedUpgrade(`${t.url}/?token=${await token({ sub: 'ada' }, -10)}`)).toBe(401);
    expect(
      await refusedUpgrade(
        `${t.url}/?token=${await token({ sub: 'ada' }, 60, new TextEncoder().encode('another-secret-another-secret-xx'))}`,
      ),
    ).toBe(401);
    expect(await refusedUpgrade(`${t.url}/?token=not.a.jwt`)).toBe(401);
    expect(await refusedUpgrade(t.url)).toBe(401);
  });

  it('closes the connection when the token expires: a last TOKEN_EXPIRED error, then 1008', async () => {
    const { jwt } = await shortToken({ sub: 'ada' }, 1000);
    const client = await TestClient.open(`${t.url}/?token=${jwt}`);
    expect(await client.next(1, 5000)).toEqual([{ type: 'error', code: 'TOKEN_EXPIRED', message: 'Token expired.' }]);
    expect(await client.closed()).toBe(1008);
  });

  it('a client that renews in time stays; the new identity is in force', async () => {
    const first = await shortToken({ sub: 'ada', plan: 'free' }, 1000);
    const client = await TestClient.open(`${t.url}/?token=${first.jwt}`);
    const renewed = await token({ sub: 'ada', plan: 'premium' }, 60);
    client.send({ type: 'auth', data: { token: renewed }, id: 'r1' });
    const [reply] = (await client.next()) as Array<{
      type: string;
      status: string;
      id: string;
      data: { expiresAt: number };
    }>;
    expect(reply).toMatchObject({ type: 'auth', status: 'renewed', id: 'r1' });
    expect(reply.data.expiresAt).toBeGreaterThan(Date.now() + 50_000);
    // Past the first token's expiry: only the renewal keeps the connection open.
    await new Promise((resolve) => setTimeout(resolve, first.expiresAt + 500 - Date.now()));
    client.send({ type: 'action', channel: 'me', id: 2 });
    expect(await client.next()).toEqual([
      {
        type: 'action',
        channel: 'me',
        status: 'completed',
        data: { sub: 'ada', plan: 'premium', expiresAt: reply.data.expiresAt },
        id: 2,
      },
    ]);
    expect(client.closeCode).toBeUndefined();
    await client.close();
  });

  it('refuses bad renewal credentials with UNAUTHORIZED and keeps the old identity', async () => {
    const client = await TestClient.open(`${t.url}/?token=${await token({ sub: 'bob', plan: 'free' }, 60)}`);
    client.send({ type: 'auth', data: { token: await token({ sub: 'mallory' }, -5) }, id: 1 });
    client.send({ type: 'auth', data: 'nonsense', id: 2 });
    client.send({ type: 'action', channel: 'me', id: 3 });
    const frames = await client.next(3);
    expect(frames.slice(0, 2)).toEqual([
      { type: 'error', code: 'UNAUTHORIZED', message: 'Invalid credentials.', id: 1 },
      { type: 'error', code: 'UNAUTHORIZED', message: 'Invalid credentials.', id: 2 },
    ]);
    expect(frames[2]).toMatchObject({ type: 'action', data: { sub: 'bob', plan: 'free' }, id: 3 });
    await client.close();
  });

  it('drops the subscriptions whose guards refuse the renewed identity, each with an unsubscribed frame', async () => {
    const client = await TestClient.open(`${t.url}/?token=${await token({ sub: 'ada', plan: 'premium' }, 60)}`);
    client.send({ type: 'subscribe', channel: 'news' });
    client.send({ type: 'subscribe', channel: 'premium' });
    expect(await client.next(2)).toEqual([
      { type: 'subscribed', channel: 'news' },
      { type: 'subscribed', channel: 'premium' },
    ]);
    client.send({ type: 'auth', data: { token: await token({ sub: 'ada', plan: 'free' }, 60) }, id: 9 });
    const [dropped, renewed] = await client.next(2);
    expect(dropped).toEqual({ type: 'unsubscribed', channel: 'premium' });
    expect(renewed).toMatchObject({ type: 'auth', status: 'renewed', id: 9 });
    await client.close();
  });
});

describe('renewal without an authenticator that can renew', () => {
  const cleanup = useCleanup();

  it('auth is an unknown message type, as for SocketAPI', async () => {
    const t = cleanup.track(await startApp({ imports: [SocketApiModule.forRoot()], providers: [Account] }));
    const client = await TestClient.open(t.url);
    client.send({ type: 'auth', data: { token: 'x' }, id: 1 });
    expect(await client.next()).toEqual([
      { type: 'error', code: 'UNKNOWN_TYPE', message: 'Unknown message type: auth.', id: 1 },
    ]);
  });
});
