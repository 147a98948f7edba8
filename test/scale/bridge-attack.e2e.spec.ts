import 'reflect-metadata';
import { SocketApiModule } from '../../lib/index.js';
import { CapturingLogger } from '../support/capturing-logger.js';
import { PLATFORMS } from '../support/platforms.js';
import { post, startInstance, subscriber, type Instance } from './scale-app.js';

/** Regressions found by the black-box attack run on `POST /_broadcast` after issue 8. */
describe.each(PLATFORMS)('HTTP bridge on %s: data nested past maxDepth', (platform) => {
  let instance: Instance | undefined;

  afterEach(async () => {
    await instance?.close();
    instance = undefined;
  });

  /** `{"a": [[[...]]]}`: `depth` levels of objects and arrays. */
  function nested(depth: number): string {
    return `{"channel":"feed","data":{"a":${'['.repeat(depth - 1)}${']'.repeat(depth - 1)}}}`;
  }

  it("is refused as the caller's error (400), with nothing run, published or logged, as on the socket", async () => {
    const logger = new CapturingLogger();
    instance = await startInstance('bridge', SocketApiModule.forRoot({ broadcast: {}, heartbeat: false }), platform);
    instance.app.useLogger(logger);
    const client = await subscriber(instance);
    const url = `${instance.http}/_broadcast`;
    const runs = instance.service.runs.feed; // the subscribe ran it
    for (const depth of [33, 5_000, 100_000]) {
      expect(await post(url, nested(depth))).toEqual({
        status: 400,
        body: { error: '"data" is nested too deeply (more than 32 levels).' },
      });
    }
    expect(instance.service.runs.feed).toBe(runs);
    expect(logger.errors).toEqual([]);
    // At the limit it is published as before.
    expect((await post(url, nested(32))).status).toBe(200);
    const [frame] = await client.next();
    expect(frame).toMatchObject({ type: 'data', channel: 'feed' });
    client.socket.terminate();
  });

  it('follows the maxDepth option', async () => {
    instance = await startInstance(
      'bridge',
      SocketApiModule.forRoot({ broadcast: {}, heartbeat: false, maxDepth: 2 }),
      platform,
    );
    const url = `${instance.http}/_broadcast`;
    expect((await post(url, nested(3))).status).toBe(400);
    expect((await post(url, nested(2))).status).toBe(200);
  });
});
