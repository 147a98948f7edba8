import 'reflect-metadata';
import { Injectable } from '@nestjs/common';
import { trace } from '@opentelemetry/api';
import { SocketAction, SocketApiException, SocketApiModule, SocketChannel } from '../../lib/index.js';
import { useCleanup } from '../support/cleanup.js';
import { startApp } from '../support/test-app.js';
import { TestClient } from '../support/ws-client.js';

@Injectable()
class Handlers {
  /** What the handler sees as the active span: none, without an SDK. */
  @SocketAction('active')
  async active(): Promise<boolean> {
    await Promise.resolve();
    return trace.getActiveSpan() !== undefined;
  }

  @SocketAction('refuse')
  refuse(): never {
    throw new SocketApiException('Not today', 'NOT_TODAY');
  }

  @SocketChannel('news')
  news(): void {}
}

// No tracer provider is registered in this file: `tracing: true` with @opentelemetry/api alone.
describe('Tracing with @opentelemetry/api and no SDK', () => {
  const cleanup = useCleanup();

  it('answers actions, errors and subscribes as without tracing', async () => {
    const app = cleanup.track(
      await startApp({
        imports: [SocketApiModule.forRoot({ heartbeat: false, tracing: true })],
        providers: [Handlers],
      }),
    );
    const client = await TestClient.open(app.url);
    cleanup.add(() => client.socket.terminate());
    client.send({ type: 'action', channel: 'active', id: 1 });
    client.send({ type: 'action', channel: 'refuse', id: 2 });
    client.send({ type: 'subscribe', channel: 'news', id: 3 });
    expect(await client.next(3)).toEqual([
      { type: 'action', channel: 'active', status: 'completed', data: false, id: 1 },
      expect.objectContaining({ type: 'error', code: 'NOT_TODAY', channel: 'refuse', id: 2 }),
      { type: 'subscribed', channel: 'news', id: 3 },
    ]);
  });
});
