import 'reflect-metadata';
import supertest from 'supertest';
import { createTestClient } from '../testing/index.js';
import { contractHash } from '../sample/api-contract.js';
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

  it('serves its HTML page with an HTTP GET on the socket path, its script and style sheet beside it', async () => {
    const response = await supertest(t.server).get('/').expect(200);
    expect(response.headers['content-type']).toMatch(/^text\/html/);
    expect(response.headers['content-security-policy']).toContain("script-src 'self'");
    expect(response.text).toContain('<script type="module" src="/page.js"></script>');
    // No inline script or style: the policy would refuse them.
    expect(response.text).not.toMatch(/<script>|<style>/);
    // The bundle (test/support/build-browser-bundles.mjs builds it): the client with the sample's contract hash.
    const script = await supertest(t.server).get('/page.js').expect(200);
    expect(script.headers['content-type']).toMatch(/^text\/javascript/);
    expect(script.text).toContain(contractHash);
    const style = await supertest(t.server).get('/page.css').expect(200);
    expect(style.headers['content-type']).toMatch(/^text\/css/);
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
    const user = await createTestClient(t.app);
    await user.expectError('FORBIDDEN', 'admin_stats');
    const invalid = await user.expectError('VALIDATION_ERROR', 'create_user', {
      user: { username: 'bo', email: 'bo@example.com', age: 30, address: { street: 's', city: 'c', zipcode: 1 } },
    });
    expect(invalid.errors).toEqual([expect.objectContaining({ path: 'user.address.zipcode' })]);
    // Both clients are closed by t.close() (app.close()) in afterAll.
    const admin = await createTestClient(t.app, { query: { role: 'admin' } });
    expect(await admin.action('admin_stats')).toEqual(expect.objectContaining({ users: expect.any(Number) }));
  });
});
