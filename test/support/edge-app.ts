import 'reflect-metadata';
import { Injectable } from '@nestjs/common';
import {
  Connection,
  SocketAction,
  SocketApiModule,
  type SocketApiModuleOptions,
  type SocketConnection,
} from '../../lib/index.js';
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

let current: TestApp | undefined;
const clients: TestClient[] = [];

/** A real app with `options` and a `whoami` action (the connection's user, or null). */
export async function app(options: SocketApiModuleOptions): Promise<TestApp> {
  current = await startApp({ imports: [SocketApiModule.forRoot(options)], providers: [WhoAmI] });
  return current;
}

/** A client, terminated after the test. */
export async function open(url: string, options?: ClientOptions): Promise<TestClient> {
  const client = await TestClient.open(url, options);
  clients.push(client);
  return client;
}

/** Registers the cleanup: call once at the top of a suite file. */
export function closeAfterEach(): void {
  afterEach(async () => {
    for (const client of clients.splice(0)) client.socket.terminate();
    await current?.close();
    current = undefined;
  });
}

export const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));
export const pong = (id: number | string) => ({ type: 'pong', id });

export function pings(client: TestClient, ids: number[]): void {
  for (const id of ids) client.send({ type: 'ping', id });
}
