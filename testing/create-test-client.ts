import type { Server } from 'node:http';
import type { INestApplication } from '@nestjs/common';
import type { SocketApiContract, UntypedContract } from '../client/src/contract.js';
import type { SocketApiClientOptions } from '../client/src/options.js';
import { SOCKET_API_OPTIONS, type SocketApiModuleOptions } from '../lib/index.js';
import { closeWithApp, listening } from './app-clients.js';
import { FrameLog } from './frame-log.js';
import { TestClient } from './test-client.js';
import { TestingMessage } from './testing.messages.js';

/** `createTestClient`'s options: the client's (all of them but `WebSocket`), and the kit's. */
export interface TestClientOptions extends Omit<SocketApiClientOptions, 'WebSocket' | 'reconnect'> {
  /**
   * The socket's path on the app's server.
   * @default the `path` of the app's `SocketApiModule` options (`'/'` when it has none)
   */
  path?: string;
  /** Query parameters of the socket's URL (an API key, a name the server logs, ...). */
  query?: Record<string, string>;
  /**
   * The bound of every wait of the kit: the connection, `subscribed`, `nextData`, and each action
   * (unless `actionTimeoutMs` says otherwise). Below a test runner's own timeout (5 s in Vitest and
   * Jest), so that the kit's message, with the last frames, is the one the test fails with.
   * @default 2000
   */
  timeoutMs?: number;
  /**
   * How many of the last frames (in, out, and the connection's opens and closes) failure messages show.
   * @default 20
   */
  frameLogSize?: number;
  /**
   * The client's reconnect policy. Off by default in tests, so that a drop (`drop()`, a server
   * closing the socket) stays visible instead of being repaired behind the test's back; pass `{}`
   * for the client's defaults.
   * @default false
   */
  reconnect?: SocketApiClientOptions['reconnect'];
}

const DEFAULT_TIMEOUT_MS = 2000;
const DEFAULT_FRAME_LOG_SIZE = 20;
/** Long enough to read a frame's type, channel and the start of its data. */
const FRAME_LOG_MAX_CHARS = 300;

/**
 * A client connected to `app`'s socket, for an end-to-end test. Starts the app on a free loopback
 * port when it is not listening yet (`app.listen(0, '127.0.0.1')`, once); resolves once the connection is
 * open. Every client made for an app is closed by `app.close()`, before the app shuts down.
 *
 * ```ts
 * const client = await createTestClient(app);
 * expect(await client.action('add_numbers', { a: 5, b: 3 })).toBe(8);
 * ```
 */
export async function createTestClient<Contract extends SocketApiContract = UntypedContract>(
  app: INestApplication,
  options: TestClientOptions = {},
): Promise<TestClient<Contract>> {
  const { path, query, timeoutMs = DEFAULT_TIMEOUT_MS, frameLogSize = DEFAULT_FRAME_LOG_SIZE, ...rest } = options;
  await listening(app);
  const url = new URL(`ws://${hostOf(app.getHttpServer() as Server)}`);
  url.pathname = path ?? socketPathOf(app);
  for (const [name, value] of Object.entries(query ?? {})) url.searchParams.set(name, value);
  const client = new TestClient<Contract>(
    url.toString(),
    { ...rest, reconnect: rest.reconnect ?? false, actionTimeoutMs: rest.actionTimeoutMs ?? timeoutMs },
    { app, log: new FrameLog(frameLogSize, FRAME_LOG_MAX_CHARS), timeoutMs },
  );
  closeWithApp(app, client);
  try {
    await client.connected();
  } catch (error) {
    await client.close();
    throw error;
  }
  return client;
}

/** `host:port` of the server's address, a wildcard address (`::`, `0.0.0.0`) made loopback. */
function hostOf(server: Server): string {
  const address = server.address();
  if (address === null || typeof address === 'string') throw new Error(TestingMessage.noAddress);
  if (address.family === 'IPv6') {
    return `[${address.address === '::' ? '::1' : address.address}]:${address.port}`;
  }
  return `${address.address === '0.0.0.0' ? '127.0.0.1' : address.address}:${address.port}`;
}

function socketPathOf(app: INestApplication): string {
  let options: SocketApiModuleOptions;
  try {
    options = app.get<SocketApiModuleOptions>(SOCKET_API_OPTIONS, { strict: false });
  } catch (error) {
    throw new Error(TestingMessage.noModule, { cause: error });
  }
  return options.path ?? '/';
}
