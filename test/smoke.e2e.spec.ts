import 'reflect-metadata';
import { Injectable } from '@nestjs/common';
import request from 'superwstest';
import { Data, SocketAction, SocketApiModule } from '../lib/index.js';
import { startApp, type TestApp } from './support/test-app.js';

@Injectable()
class MathService {
  @SocketAction('add_numbers')
  add(@Data('a') a: number, @Data('b') b: number): number {
    return a + b;
  }
}

describe('smoke', () => {
  let t: TestApp;
  beforeAll(async () => {
    t = await startApp({ imports: [SocketApiModule.forRoot()], providers: [MathService] });
  });
  afterAll(() => t.close());

  it('adds', async () => {
    await request(t.server)
      .ws('/')
      .sendJson({ type: 'action', channel: 'add_numbers', data: { a: 5, b: 3 } })
      .expectJson({ type: 'action', channel: 'add_numbers', status: 'completed', data: 8 })
      .close()
      .expectClosed();
  });
});
