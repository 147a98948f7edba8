import 'reflect-metadata';
import { Injectable, UseGuards, type CanActivate, type ExecutionContext } from '@nestjs/common';
import { SignJWT } from 'jose';
import WebSocket from 'ws';
import {
  apiKeyAuthenticator,
  jwtAuthenticator,
  SocketChannel,
  type SocketAuthenticator,
  type SocketConnection,
} from '../../lib/index.js';
import {
  ClientErrorCode,
  SocketApiClient,
  type SocketApiClientOptions,
  type TokenRequestReason,
} from '../../client/src/index.js';
import { useCleanup } from '../support/cleanup.js';
import { sleep, waitFor } from '../support/wait.js';
import { BrowserLikeWebSocket } from './support/browser-like-websocket.js';
import { startClientServer, type ClientTestServer } from './support/client-server.js';
import { Recorder, stateReached } from './support/observe.js';

const SECRET = new TextEncoder().encode('a-test-secret-of-the-client-suite-32b');

async function tokenFor(sub: string, ttlSeconds = 60, claims: Record<string, unknown> = {}): Promise<string> {
  const now = Math.floor(Date.now() / 1000);
  return new SignJWT(claims)
    .setProtectedHeader({ alg: 'HS256' })
    .setSubject(sub)
    .setExpirationTime(now + ttlSeconds)
    .sign(SECRET);
}

/** Lets in the connections whose token has the `vip` claim. */
class VipOnly implements CanActivate {
  canActivate(context: ExecutionContext): boolean {
    return context.switchToWs().getClient<SocketConnection<{ vip?: boolean }>>().user?.vip === true;
  }
}

@Injectable()
class VipLounge {
  @UseGuards(VipOnly)
  @SocketChannel('lounge')
  lounge(): void {}
}

/** jwtAuthenticator, counting the renewals the server handled. */
function countingJwt(): SocketAuthenticator & { renewals: number } {
  const jwt = jwtAuthenticator({ secret: SECRET });
  const counting = {
    renewals: 0,
    authenticate: jwt.authenticate.bind(jwt),
    renew: (credentials: unknown, connection: SocketConnection) => {
      counting.renewals++;
      return jwt.renew!(credentials, connection);
    },
  };
  return counting;
}

describe('client authentication against a real server', () => {
  const cleanup = useCleanup();
  let server: ClientTestServer;
  let auth: ReturnType<typeof countingJwt>;

  beforeEach(async () => {
    auth = countingJwt();
    server = cleanup.track(await startClientServer({ auth }));
  });

  function newClient(options: SocketApiClientOptions): SocketApiClient {
    return cleanup.track(
      new SocketApiClient(server.url, { reconnect: { initialDelayMs: 50, maxDelayMs: 200 }, ...options }),
    );
  }

  /** A token provider that records why it was called. */
  function provider(token: (reason: TokenRequestReason) => Promise<string>) {
    const reasons: TokenRequestReason[] = [];
    const provide = async (reason: TokenRequestReason) => {
      reasons.push(reason);
      return token(reason);
    };
    return { reasons, provide };
  }

  it.each(['subprotocol', 'query', 'header'] as const)(
    'the token reaches jwtAuthenticator sent as %s',
    async (sendAs) => {
      const client = newClient({ auth: { token: await tokenFor('ada'), sendAs } });
      expect(await client.action('echo', 'hi')).toBe('hi');
      expect([...server.api.connections][0].subject).toBe('ada');
    },
  );

  it('an API key in the query, renewed in-band as { apiKey }', async () => {
    await server.close();
    server = cleanup.track(await startClientServer({ auth: apiKeyAuthenticator({ keys: ['k-1'] }) }));
    const client = newClient({
      auth: { token: 'k-1', sendAs: 'query', queryParam: 'api_key', renewal: (key) => ({ apiKey: key }) },
    });
    expect(await client.action('echo', 1)).toBe(1);
    await client.renewCredentials();
  });

  it('PR #399: the token function is evaluated at every reconnect, and the fresh token is the one used', async () => {
    let issued = 0;
    const tokens = provider(async () => tokenFor(`user-${++issued}`));
    const client = newClient({ auth: { token: tokens.provide } });
    await stateReached(client, 'open');
    expect([...server.api.connections][0].subject).toBe('user-1');
    [...server.api.connections][0].close(1011);
    await waitFor(() => [...server.api.connections].some((connection) => connection.subject === 'user-2'));
    expect(tokens.reasons).toEqual(['connect', 'reconnect']);
  });

  it('centrifuge-js #265: actions and subscriptions made during a slow token fetch go out once connected', async () => {
    const tokens = provider(async () => {
      await sleep(200);
      return tokenFor('ada');
    });
    const client = newClient({ auth: { token: tokens.provide } });
    const news = new Recorder(client.subscribe('news', { since: 1 }));
    cleanup.add(() => news.close());
    expect(await client.action('echo', 'queued during the fetch')).toBe('queued during the fetch');
    await news.until((values) => values.length === 1);
    expect(server.api.subscribeCalls).toHaveLength(1);
  });

  it('a refused token (HTTP 401 seen through ws) is fetched anew once, then the client gives up: terminal', async () => {
    const tokens = provider(async () => 'not-a-jwt');
    // ws shows the status (on Node 22+, the global WebSocket would be used by default, and does not).
    const client = newClient({ WebSocket, auth: { token: tokens.provide } });
    const queued = client.action('echo', 'never sent').catch((error: unknown) => error);
    const closed = await stateReached(client, 'closed');
    expect(closed.error?.code).toBe(ClientErrorCode.AUTH_REFUSED);
    expect(closed.error?.message).toContain('HTTP 401');
    expect(await queued).toMatchObject({ code: ClientErrorCode.AUTH_REFUSED, maybeExecuted: false });
    expect(tokens.reasons).toEqual(['connect', 'refused']);
  });

  it('a token provider that fails is retried with backoff (CLIENT_TOKEN_FAILED), and the client connects once it works', async () => {
    let failures = 2;
    const tokens = provider(async () => {
      if (failures-- > 0) throw new Error('identity provider down');
      return tokenFor('ada');
    });
    const client = newClient({ auth: { token: tokens.provide } });
    const reconnecting = await stateReached(client, 'reconnecting');
    expect(reconnecting.error?.code).toBe(ClientErrorCode.TOKEN_FAILED);
    expect(await client.action('echo', 'finally')).toBe('finally');
    expect(tokens.reasons).toHaveLength(3);
  });

  it('a refused token that a fresh fetch fixes connects', async () => {
    const tokens = provider(async (reason) => (reason === 'refused' ? tokenFor('ada') : 'stale-token'));
    const client = newClient({ auth: { token: tokens.provide } });
    expect(await client.action('echo', 'ok')).toBe('ok');
    expect(tokens.reasons).toEqual(['connect', 'refused']);
  });

  it('as in a browser (a refused handshake is a bare 1006): refused tokens are not retried forever', async () => {
    const tokens = provider(async () => 'not-a-jwt');
    const client = newClient({
      WebSocket: BrowserLikeWebSocket,
      auth: { token: tokens.provide },
      reconnect: { initialDelayMs: 20, maxDelayMs: 50, maxUnexplainedRefusals: 3 },
    });
    const closed = await stateReached(client, 'closed');
    expect(closed.error?.code).toBe(ClientErrorCode.AUTH_REFUSED);
    expect(tokens.reasons).toEqual(['connect', 'refused', 'refused']);
  });

  it('as in a browser, a server that is down is not taken for a refusal: the client keeps trying', async () => {
    const port = server.port;
    await server.close();
    const tokens = provider(async () => tokenFor('ada'));
    const client = cleanup.track(
      new SocketApiClient(`ws://127.0.0.1:${port}`, {
        WebSocket: BrowserLikeWebSocket,
        auth: { token: tokens.provide },
        reconnect: { initialDelayMs: 10, maxDelayMs: 20, maxUnexplainedRefusals: 2 },
      }),
    );
    await waitFor(() => tokens.reasons.length >= 6, { timeoutMs: 10_000 });
    expect(client.state.status).toBe('reconnecting');
    server = cleanup.track(await startClientServer({ auth: jwtAuthenticator({ secret: SECRET }) }, port));
    expect(await client.action('echo', 'back')).toBe('back');
  });

  it('renewal is single-flight: many callers at once, one token fetch, one auth frame', async () => {
    const tokens = provider(async (reason) => {
      if (reason === 'renew') await sleep(50);
      return tokenFor('ada');
    });
    const client = newClient({ auth: { token: tokens.provide } });
    await stateReached(client, 'open');
    await Promise.all(Array.from({ length: 20 }, () => client.renewCredentials()));
    expect(tokens.reasons).toEqual(['connect', 'renew']);
    expect(auth.renewals).toBe(1);
    // A later renewal is a new one.
    await client.renewCredentials();
    expect(auth.renewals).toBe(2);
  });

  it('PR #306: a reconnect during a renewal joins its token fetch rather than fetching another', async () => {
    const tokens = provider(async (reason) => {
      if (reason === 'renew') await sleep(300);
      return tokenFor('ada');
    });
    const client = newClient({ auth: { token: tokens.provide } });
    await stateReached(client, 'open');
    const renewal = client.renewCredentials().catch((error: unknown) => error);
    await sleep(20);
    [...server.api.connections][0].close(1011);
    await stateReached(client, 'reconnecting');
    await stateReached(client, 'open');
    expect(tokens.reasons).toEqual(['connect', 'renew']);
    // The renewal's connection is gone: it fails rather than go on in the new session (the doubled
    // refresh chain of centrifuge-dart PR #129), and the new connection has the fresh token.
    expect(await renewal).toMatchObject({ code: ClientErrorCode.CONNECTION_LOST });
    expect(auth.renewals).toBe(0);
    expect(await client.action('echo', 'fine')).toBe('fine');
  });

  it('renews before the expiry the server reports, so the connection outlives its first token', async () => {
    // `exp` is in whole seconds: a 3 s token lives 2–3 s, and is renewed 1 s before it expires (the
    // client waits at least 1 s between renewals, so a shorter token would leave no time on a busy machine).
    const tokens = provider(async () => tokenFor('ada', 3));
    const client = newClient({ auth: { token: tokens.provide, renewBeforeMs: 1000 } });
    await stateReached(client, 'open');
    const [connection] = server.api.connections;
    // Past the first token's expiry and through a second renewal.
    await waitFor(() => auth.renewals >= 2, { timeoutMs: 10_000 });
    await sleep(500);
    expect(connection.isOpen).toBe(true);
    expect(auth.renewals).toBeGreaterThanOrEqual(2);
    expect(tokens.reasons.slice(0, 3)).toEqual(['connect', 'renew', 'renew']);
    expect(client.state.status).toBe('open');
  });

  it('a token valid for weeks is not renewed at once (a delay past setTimeout 24.8-day limit fires at once)', async () => {
    const tokens = provider(async () => tokenFor('ada', 40 * 24 * 3600));
    const client = newClient({ auth: { token: tokens.provide } });
    await stateReached(client, 'open');
    await sleep(300);
    expect(auth.renewals).toBe(0);
    expect(tokens.reasons).toEqual(['connect']);
    expect(client.state.status).toBe('open');
  });

  it("a renewal whose identity a channel's guard refuses: the server ends the subscription, the Observable errors", async () => {
    await server.close();
    server = cleanup.track(await startClientServer({ auth }, 0, { providers: [VipLounge] }));
    const tokens = provider(async (reason) => tokenFor('ada', 60, { vip: reason !== 'renew' }));
    const client = newClient({ auth: { token: tokens.provide } });
    const lounge = new Recorder(client.subscribe('lounge'));
    cleanup.add(() => lounge.close());
    await waitFor(() => server.api.connections.size === 1 && [...server.api.connections][0].subscriptions.length === 1);
    await client.renewCredentials();
    await waitFor(() => lounge.error !== undefined);
    expect(lounge.error).toMatchObject({ code: ClientErrorCode.UNSUBSCRIBED });
    expect(client.state.status).toBe('open');
  });

  it('centrifuge-dart PR #129: a static token that expired is not retried forever', async () => {
    // 2 s: `exp` has a second's granularity, and a token valid for less than one might be refused at once.
    const client = newClient({ auth: { token: await tokenFor('ada', 2), renewal: false } });
    await stateReached(client, 'open');
    const closed = await stateReached(client, 'closed');
    expect(closed.error?.code).toBe(ClientErrorCode.AUTH_REFUSED);
  });

  it('without renewal, the expired connection (1008 Token expired) is replaced with a fresh token', async () => {
    const tokens = provider(async () => tokenFor('ada', 2));
    const client = newClient({ auth: { token: tokens.provide, renewal: false } });
    await stateReached(client, 'open');
    const reconnecting = await stateReached(client, 'reconnecting');
    expect(reconnecting.error?.message).toBe('The connection closed (code 1008, Token expired).');
    await waitFor(() => tokens.reasons.length >= 2, { timeoutMs: 4000 });
    expect(tokens.reasons.slice(0, 2)).toEqual(['connect', 'refused']);
    await stateReached(client, 'open');
    expect(await client.action('echo', 'still')).toBe('still');
  });
});
