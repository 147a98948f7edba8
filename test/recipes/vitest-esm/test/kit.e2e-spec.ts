import type { INestApplication } from '@nestjs/common';
import { Test } from '@nestjs/testing';
import { createTestClient } from 'nestjs-socketapi/testing';
import { AppModule } from '../src/app.module.js';

// The same tests with nestjs-socketapi/testing: the app is not started by the test, the clients
// are not closed by it (app.close() does both ends).
describe('chat with the testing kit (e2e)', () => {
  let app: INestApplication;

  beforeAll(async () => {
    const moduleRef = await Test.createTestingModule({ imports: [AppModule] }).compile();
    app = moduleRef.createNestApplication();
  });

  afterAll(() => app.close());

  it('adds numbers', async () => {
    const client = await createTestClient(app);
    expect(await client.action('add_numbers', { a: 5, b: 3 })).toBe(8);
  });

  it('sends the initial data, then what another client sends', async () => {
    const reader = await createTestClient(app);
    const writer = await createTestClient(app);
    expect(await reader.nextData('chat')).toEqual({ message: 'Welcome' });
    const next = reader.nextData('chat');
    await writer.action('send_message', { message: 'Hello' });
    expect(await next).toEqual({ message: 'Hello' });
  });

  it('says which field is invalid', async () => {
    const client = await createTestClient(app);
    const error = await client.expectError('VALIDATION_ERROR', 'send_message', { message: '' });
    expect(error.errors).toEqual([{ path: 'message', messages: ['message should not be empty'] }]);
  });
});
