import 'reflect-metadata';
import { Injectable } from '@nestjs/common';
import {
  ChannelParam,
  SocketChannel,
  SocketApiConnections,
  SocketApiModule,
  type SocketApiModuleOptions,
  type SocketAuthenticator,
} from '../../lib/index.js';
import { startApp, type TestApp } from '../support/test-app.js';
import type { Cleanup } from '../support/cleanup.js';
import { TestClient } from '../support/ws-client.js';

/** The user is `?user=<id>` (its subject); no `user`, no identity (refused: 401). */
export const queryUser: SocketAuthenticator<{ id: string }> = {
  authenticate(request) {
    const user = request.query.user;
    return typeof user === 'string' ? { user: { id: user }, subject: user } : undefined;
  },
};

@Injectable()
export class ControlChannels {
  constructor(readonly connections: SocketApiConnections) {}

  @SocketChannel('news')
  news() {}

  @SocketChannel('rooms/:roomId')
  room(@ChannelParam('roomId') roomId: string) {
    return { roomId };
  }

  @SocketChannel('log', { history: { size: 10, ttl: 60_000 } })
  log() {}
}

/** The control test app: `ControlChannels`, users by `?user=`, heartbeat off, and `options`. */
export function startControlInstance(options: SocketApiModuleOptions = {}): Promise<TestApp> {
  return startApp({
    imports: [SocketApiModule.forRoot({ heartbeat: false, auth: queryUser, ...options })],
    providers: [ControlChannels],
  });
}

export async function startControlApp(cleanup: Cleanup, options: SocketApiModuleOptions = {}): Promise<TestApp> {
  return cleanup.track(await startControlInstance(options));
}

/** A client of `user` on `app`, terminated after the test. */
export async function userClient(cleanup: Cleanup, app: TestApp, user: string): Promise<TestClient> {
  const ws = await TestClient.open(`${app.url}/?user=${encodeURIComponent(user)}`);
  cleanup.add(() => ws.socket.terminate());
  return ws;
}

/** Subscribes `ws` to `channel` and waits for the `subscribed` answer. */
export async function subscribe(ws: TestClient, channel: string): Promise<void> {
  const id = `s-${channel}`;
  ws.send({ type: 'subscribe', channel, id });
  await ws.waitFor(() => ws.frames.some((frame) => (frame as { id?: string }).id === id));
  ws.frames.splice(0);
}
