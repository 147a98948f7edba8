import 'reflect-metadata';
import {
  ForbiddenException,
  Injectable,
  UseGuards,
  type CanActivate,
  type ExecutionContext,
} from '@nestjs/common';
import {
  Connection,
  SocketAction,
  SocketApiModule,
  type HandshakeRequest,
  type SocketApiModuleOptions,
  type SocketConnection,
} from '../../lib/index.js';
import { useCleanup } from '../support/cleanup.js';
import { startApp, type TestApp } from '../support/test-app.js';
import { waitFor } from '../support/wait.js';
import { refusedUpgrade, TestClient } from '../support/ws-client.js';

const cleanup = useCleanup();

interface User {
  name: string;
  role: string;
}

const USERS: Record<string, User> = { 'key-ada': { name: 'ada', role: 'admin' }, 'key-bob': { name: 'bob', role: 'user' } };

/** An authenticator as users write one: a key from the header, the query or a cookie. */
const byKey = {
  authenticate(request: HandshakeRequest) {
    const key = request.headers['x-key'] ?? request.query.key ?? request.cookies.key;
    if (key === 'banned') throw new ForbiddenException('Banned');
    if (key === 'explode') throw new Error('database down');
    const user = typeof key === 'string' ? USERS[key] : undefined;
    return user ? { user } : undefined;
  },
};

@Injectable()
class AuditLog {
  readonly seen: string[] = [];
}

/** A connect guard with DI: refuses bob, records everyone. */
@Injectable()
class NoBobGuard implements CanActivate {
  constructor(private readonly audit: AuditLog) {}
  canActivate(context: ExecutionContext): boolean {
    const request = context.switchToHttp().getRequest<{ user?: User; url: string }>();
    this.audit.seen.push(`${context.getType()}:${request.user?.name}`);
    return request.user?.name !== 'bob';
  }
}

class AdminsOnly implements CanActivate {
  canActivate(context: ExecutionContext): boolean {
    return context.switchToWs().getClient<SocketConnection<User>>().user?.role === 'admin';
  }
}

@Injectable()
class WhoAmI {
  @SocketAction('whoami')
  whoami(@Connection() connection: SocketConnection<User>) {
    return connection.user ?? null;
  }

  @UseGuards(AdminsOnly)
  @SocketAction('admin')
  admin() {
    return 'ok';
  }
}

async function app(options: SocketApiModuleOptions): Promise<TestApp> {
  return startApp({ imports: [SocketApiModule.forRoot(options)], providers: [WhoAmI, AuditLog, NoBobGuard] });
}

async function whoami(url: string, headers?: Record<string, string>): Promise<unknown> {
  const client = await TestClient.open(url, { headers });
  client.send({ type: 'action', channel: 'whoami' });
  const [reply] = await client.next();
  await client.close();
  return (reply as { data?: unknown }).data;
}

describe('authentication at connect', () => {
  let t: TestApp;
  beforeAll(async () => {
    t = await app({ auth: byKey });
  });
  afterAll(() => t.close());

  it('refuses an upgrade without credentials with HTTP 401: no socket', async () => {
    expect(await refusedUpgrade(t.url)).toBe(401);
    expect(await refusedUpgrade(t.url, { headers: { 'x-key': 'wrong' } })).toBe(401);
  });

  it('an authenticator that throws an HttpException gives its status; anything else 500, never a socket', async () => {
    expect(await refusedUpgrade(`${t.url}/?key=banned`)).toBe(403);
    expect(await refusedUpgrade(`${t.url}/?key=explode`)).toBe(500);
  });

  it('attaches the identity to the connection, from a header, the query or a cookie', async () => {
    expect(await whoami(t.url, { 'x-key': 'key-ada' })).toEqual({ name: 'ada', role: 'admin' });
    expect(await whoami(`${t.url}/?key=key-bob`)).toEqual({ name: 'bob', role: 'user' });
    expect(await whoami(t.url, { cookie: 'theme=dark; key=key-bob' })).toEqual({ name: 'bob', role: 'user' });
  });

  it('guards read the identity through the SocketConnection', async () => {
    const bob = await TestClient.open(`${t.url}/?key=key-bob`);
    const ada = await TestClient.open(`${t.url}/?key=key-ada`);
    bob.send({ type: 'action', channel: 'admin', id: 1 });
    ada.send({ type: 'action', channel: 'admin', id: 1 });
    expect(await bob.next()).toEqual([{ type: 'error', code: 'FORBIDDEN', message: 'Forbidden resource', channel: 'admin', id: 1 }]);
    expect(await ada.next()).toEqual([{ type: 'action', channel: 'admin', status: 'completed', data: 'ok', id: 1 }]);
    await Promise.all([bob.close(), ada.close()]);
  });
});

describe('connect guards', () => {
  it("run with DI after auth, see the request as HTTP with its user; refusal is HTTP 403", async () => {
    const t = cleanup.track(await app({ auth: byKey, connectGuards: [NoBobGuard] }));
    expect(await refusedUpgrade(`${t.url}/?key=key-bob`)).toBe(403);
    expect(await whoami(`${t.url}/?key=key-ada`)).toEqual({ name: 'ada', role: 'admin' });
    expect(t.app.get(AuditLog).seen).toEqual(['http:bob', 'http:ada']);
  });

  it('can stand alone, without auth', async () => {
    const t = cleanup.track(await app({ connectGuards: [NoBobGuard] }));
    expect(await whoami(t.url)).toBeUndefined();
  });
});

describe('origin allow-list', () => {
  it('refuses browsers from other origins with HTTP 403; clients without Origin are not browsers', async () => {
    const t = cleanup.track(await app({ allowedOrigins: ['https://app.example.com', /^https:\/\/[a-z]+\.example\.org$/] }));
    expect(await whoami(t.url, { origin: 'https://app.example.com' })).toBeUndefined();
    expect(await whoami(t.url, { origin: 'https://admin.example.org' })).toBeUndefined();
    expect(await whoami(t.url)).toBeUndefined();
    expect(await refusedUpgrade(t.url, { headers: { origin: 'https://evil.example.net' } })).toBe(403);
    expect(await refusedUpgrade(t.url, { headers: { origin: 'https://app.example.com.evil.net' } })).toBe(403);
  });

  it('takes a function for anything else', async () => {
    const t = cleanup.track(await app({ allowedOrigins: (origin) => origin === 'https://only.example' }));
    expect(await refusedUpgrade(t.url)).toBe(403);
    expect(await whoami(t.url, { origin: 'https://only.example' })).toBeUndefined();
  });
});

describe('connection limits', () => {
  it('per process: the one past the limit gets HTTP 503, and a slot frees when a client leaves', async () => {
    const t = cleanup.track(await app({ maxConnections: 3 }));
    const clients = await Promise.all([1, 2, 3].map(() => TestClient.open(t.url)));
    expect(await refusedUpgrade(t.url)).toBe(503);
    await clients[0].close();
    await waitFor(async () => (await whoami(t.url)) === undefined);
  });

  it('per remote address: HTTP 429 past the limit', async () => {
    const t = cleanup.track(await app({ maxConnectionsPerAddress: 2 }));
    const clients = await Promise.all([1, 2].map(() => TestClient.open(t.url)));
    expect(await refusedUpgrade(t.url)).toBe(429);
    await clients[1].close();
    await waitFor(async () => (await whoami(t.url)) === undefined);
  });
});
