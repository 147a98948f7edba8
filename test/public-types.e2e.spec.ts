import 'reflect-metadata';
import { Injectable } from '@nestjs/common';
import {
  Channel,
  Connection,
  InjectChannel,
  SocketAction,
  SocketApiModule,
  SocketChannel,
  SocketConnection,
} from '../lib/index.js';
import { startApp, type TestApp } from './support/test-app.js';
import { TestClient } from './support/ws-client.js';

/*
 * `SocketConnection` and `Channel` are public abstract classes (their implementations are internal):
 * they must stay runtime values, so that a parameter typed with them gets that class as its design
 * type (emitDecoratorMetadata), and so that what the library hands over is an instance of them.
 */

@Injectable()
class Inspector {
  constructor(@InjectChannel('room') readonly room: Channel<string>) {}

  @SocketChannel('room')
  roomChannel(): void {}

  @SocketAction('inspect')
  inspect(@Connection() connection: SocketConnection): Record<string, unknown> {
    const [parameterType] = Reflect.getMetadata('design:paramtypes', Inspector.prototype, 'inspect') as unknown[];
    return {
      connectionIsSocketConnection: connection instanceof SocketConnection,
      parameterTypeIsSocketConnection: parameterType === SocketConnection,
      channelIsChannel: this.room instanceof Channel,
      subscriptions: connection.subscriptions,
    };
  }
}

describe('public types', () => {
  let t: TestApp | undefined;
  let client: TestClient | undefined;

  afterEach(async () => {
    await client?.close();
    await t?.close();
    client = t = undefined;
  });

  it('the connection handed to a handler is a SocketConnection, and an injected channel a Channel', async () => {
    t = await startApp({ imports: [SocketApiModule.forRoot()], providers: [Inspector] });
    client = await TestClient.open(t.url);
    client.send({ type: 'subscribe', channel: 'room', id: 1 });
    client.send({ type: 'action', channel: 'inspect', id: 2 });
    const [, reply] = await client.next(2);
    expect(reply).toEqual({
      type: 'action',
      channel: 'inspect',
      id: 2,
      status: 'completed',
      data: {
        connectionIsSocketConnection: true,
        parameterTypeIsSocketConnection: true,
        channelIsChannel: true,
        subscriptions: ['room'],
      },
    });
  });
});
