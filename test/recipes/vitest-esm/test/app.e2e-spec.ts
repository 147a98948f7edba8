import type { INestApplication } from '@nestjs/common';
import { Test } from '@nestjs/testing';
import request from 'superwstest';
import { AppModule } from '../src/app.module.js';

describe('chat (e2e)', () => {
  let app: INestApplication;

  beforeAll(async () => {
    const moduleRef = await Test.createTestingModule({ imports: [AppModule] }).compile();
    app = moduleRef.createNestApplication();
    await app.listen(0, '127.0.0.1');
  });

  afterAll(() => app.close());

  it('adds numbers', () =>
    request(app.getHttpServer())
      .ws('/')
      .sendJson({ type: 'action', channel: 'add_numbers', data: { a: 5, b: 3 }, id: 1 })
      .expectJson({ type: 'action', channel: 'add_numbers', status: 'completed', data: 8, id: 1 })
      .close()
      .expectClosed());

  it('sends the initial data after subscribing', () =>
    request(app.getHttpServer())
      .ws('/')
      .sendJson({ type: 'subscribe', channel: 'chat' })
      .expectJson({ type: 'subscribed', channel: 'chat' })
      .expectJson({ type: 'data', channel: 'chat', data: { message: 'Welcome' } })
      .close()
      .expectClosed());

  it('says which field is invalid', () =>
    request(app.getHttpServer())
      .ws('/')
      .sendJson({ type: 'action', channel: 'send_message', data: { message: '' }, id: 2 })
      .expectJson({
        type: 'error',
        code: 'VALIDATION_ERROR',
        message: "Invalid parameters for action 'send_message'",
        channel: 'send_message',
        id: 2,
        errors: [{ path: 'message', messages: ['message should not be empty'] }],
      })
      .close()
      .expectClosed());
});
