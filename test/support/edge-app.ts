import 'reflect-metadata';
import { Injectable } from '@nestjs/common';
import {
  Connection,
  SocketAction,
  SocketApiModule,
  type SocketApiModuleOptions,
  type SocketConnection,
} from '../../lib/index.js';
import { useCleanup, type Cleanup } from './cleanup.js';
import { startApp, type TestApp } from './test-app.js';
import { TestClient, type ClientOptions } from './ws-client.js';

/** The apps and clients of the edge suites (test/hardening/*-edges.e2e.spec.ts), closed after each test. */

@Injectable()
class WhoAmI {
  @SocketAction('whoami')
  whoami(@Connection() connection: SocketConnection) {
    return connection.user ?? null;
  }
}

let cleanup: Cleanup | undefined;

/** Registers the cleanup: call once at the top of a suite file. */
export function closeAfterEach(): void {
  cleanup = useCleanup();
}

function afterThisTest(): Cleanup {
  if (!cleanup) throw new Error('call closeAfterEach() at the top of the suite file');
  return cleanup;
}

/** A real app with `options` and a `whoami` action (the connection's user, or null), closed after the test. */
export async function app(options: SocketApiModuleOptions): Promise<TestApp> {
  return afterThisTest().track(await startApp({ imports: [SocketApiModule.forRoot(options)], providers: [WhoAmI] }));
}

/** A client, terminated after the test. */
export async function open(url: string, options?: ClientOptions): Promise<TestClient> {
  const client = await TestClient.open(url, options);
  afterThisTest().add(() => client.socket.terminate());
  return client;
}

export const pong = (id: number | string) => ({ type: 'pong', id });

export function pings(client: TestClient, ids: number[]): void {
  for (const id of ids) client.send({ type: 'ping', id });
}
