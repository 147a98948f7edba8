import type { INestApplication } from '@nestjs/common';
import { TestingMessage } from './testing.messages.js';

/** What the registry closes: a test client. */
export interface ClosableClient {
  close(): Promise<void>;
}

/** The test clients of each app, closed before the app closes. */
const clientsByApp = new WeakMap<INestApplication, Set<ClosableClient>>();
/** The one `listen` the kit started for each app: clients made at once (`Promise.all`) share it. */
const listeningByApp = new WeakMap<INestApplication, Promise<unknown>>();
/** The apps closed since the kit served them: a client of one could only fail (or listen again, for nothing). */
const closedApps = new WeakSet<INestApplication>();

/**
 * Resolves once `app` listens: at once when it does, else after `app.listen(0, '127.0.0.1')` (a
 * free loopback port), started once per app.
 */
export async function listening(app: INestApplication): Promise<void> {
  if (closedApps.has(app)) throw new Error(TestingMessage.appClosed);
  const server = app.getHttpServer() as { listening?: boolean };
  if (server.listening === true) return;
  let started = listeningByApp.get(app);
  if (started === undefined) {
    started = app.listen(0, '127.0.0.1');
    listeningByApp.set(app, started);
  }
  await started;
}

/**
 * Registers `client` to be closed when `app.close()` is called, before the app's own shutdown: so
 * that a test's `afterAll(() => app.close())` leaves no socket, timer or reconnect attempt behind.
 * Nest has no hook that runs before its HTTP server stops (and a client closed after it would try
 * to reconnect), so the first registration puts a `close` of the app's own in front of its class's.
 */
export function closeWithApp(app: INestApplication, client: ClosableClient): void {
  let clients = clientsByApp.get(app);
  if (clients === undefined) {
    const registered = new Set<ClosableClient>();
    clients = registered;
    clientsByApp.set(app, registered);
    const classClose = closeOfClass(app);
    // `defineProperty`, not an assignment: NestFactory's app is a Proxy whose `set` trap ignores
    // assignments. Through either of Nest's proxies the method runs with `this` the app itself.
    Object.defineProperty(app, 'close', {
      configurable: true,
      writable: true,
      value: async function close(this: INestApplication): Promise<void> {
        closedApps.add(app);
        await Promise.all([...registered].map((each) => each.close()));
        await classClose.call(this);
      },
    });
  }
  clients.add(client);
}

/** The app class's `close` (Nest's proxies hand out wrappers that would call the app's own `close`). */
function closeOfClass(app: INestApplication): INestApplication['close'] {
  for (let proto: unknown = Object.getPrototypeOf(app); proto !== null; proto = Object.getPrototypeOf(proto)) {
    const descriptor = Object.getOwnPropertyDescriptor(proto, 'close');
    if (typeof descriptor?.value === 'function') return descriptor.value as INestApplication['close'];
  }
  throw new TypeError(TestingMessage.notAnApp);
}

/** Forgets a client closed by the test itself. */
export function forgetClient(app: INestApplication, client: ClosableClient): void {
  clientsByApp.get(app)?.delete(client);
}
