import 'reflect-metadata';
import supertest from 'supertest';
import { AppModule } from '../sample/app.module.js';
import { PLATFORMS } from './support/platforms.js';
import { startApp, type TestApp } from './support/test-app.js';
import { TestClient } from './support/ws-client.js';

describe.each(PLATFORMS)('the sample app on %s', (platform) => {
  let t: TestApp;
  beforeAll(async () => {
    t = await startApp({ imports: [AppModule] }, undefined, platform);
  });
  afterAll(() => t.close());

  it('serves its HTML page with an HTTP GET on the socket path', async () => {
    const response = await supertest(t.server).get('/').expect(200);
    expect(response.headers['content-type']).toMatch(/^text\/html/);
    expect(response.text).toContain('new WebSocket(');
  });

  it('answers the seeds exchange on the same path', async () => {
    const subscriber = await TestClient.open(`${t.url}/`);
    subscriber.send({ type: 'subscribe', channel: 'chat' });
    expect(await subscriber.next(2)).toEqual([
      { type: 'subscribed', channel: 'chat' },
      { type: 'data', channel: 'chat', data: { message: 'Welcome' } },
    ]);
    const caller = await TestClient.open(`${t.url}/`);
    caller.send({ type: 'action', channel: 'add_numbers', data: { a: 5, b: 3 } });
    caller.send({ type: 'action', channel: 'send_message', data: { message: 'Hello everyone!' }, id: 1 });
    expect(await caller.next(2)).toEqual([
      { type: 'action', channel: 'add_numbers', status: 'completed', data: 8 },
      {
        type: 'action',
        channel: 'send_message',
        status: 'completed',
        data: { sent: true, by: expect.any(String) },
        id: 1,
      },
    ]);
    expect(await subscriber.next()).toEqual([{ type: 'data', channel: 'chat', data: { message: 'Hello everyone!' } }]);
    await subscriber.close();
    await caller.close();
  });

  it('guards admin_stats and validates the nested DTO of create_user', async () => {
    const user = await TestClient.open(`${t.url}/`);
    user.send({ type: 'action', channel: 'admin_stats', id: 'a' });
    user.send({
      type: 'action',
      channel: 'create_user',
      data: {
        user: { username: 'bo', email: 'bo@example.com', age: 30, address: { street: 's', city: 'c', zipcode: 1 } },
      },
    });
    const [refused, invalid] = await user.next(2);
    expect(refused).toMatchObject({ type: 'error', code: 'FORBIDDEN', channel: 'admin_stats', id: 'a' });
    expect(invalid).toMatchObject({
      type: 'error',
      code: 'VALIDATION_ERROR',
      errors: [expect.objectContaining({ path: 'user.address.zipcode' })],
    });
    await user.close();
    const admin = await TestClient.open(`${t.url}/?role=admin`);
    admin.send({ type: 'action', channel: 'admin_stats' });
    expect(await admin.next()).toEqual([
      {
        type: 'action',
        channel: 'admin_stats',
        status: 'completed',
        data: expect.objectContaining({ users: expect.any(Number) }),
      },
    ]);
    await admin.close();
  });
});
