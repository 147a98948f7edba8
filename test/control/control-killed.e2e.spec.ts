import 'reflect-metadata';
import { SocketApiConnections } from '../../lib/index.js';
import { compileChild, startChild, type CompiledChild } from '../support/child-instance.js';
import { useCleanup } from '../support/cleanup.js';
import { describeWithRedis, RedisServer } from '../support/redis-server.js';
import { waitFor } from '../support/wait.js';
import { refusedUpgrade, TestClient } from '../support/ws-client.js';
import { startControlApp, userClient } from './control-app.js';

const TTL_MS = 1500;
const PREFIX = 'ctlkilled';
const SECRET = 'killed-secret';

/**
 * An instance holding a user's connection killed with SIGKILL: its per-user entry is no longer
 * refreshed and stops counting within `presenceTtlMs` (plus the next handshake's sweep); control calls
 * no longer wait for it (its subscription went with its connection to Redis).
 */
describeWithRedis('an instance killed with SIGKILL: its users’ connections stop counting within presenceTtlMs', () => {
  const cleanup = useCleanup();
  let redis: RedisServer;
  let compiled: CompiledChild;

  beforeAll(async () => {
    redis = await RedisServer.start();
    compiled = compileChild('test/control/control-child.ts');
  }, 120_000);

  afterAll(async () => {
    compiled?.remove();
    await redis?.stop();
  });

  it(`the killed instance's user may connect again within ${TTL_MS} ms (+ margin); closeUser does not wait for it`, async () => {
    const a = await startControlApp(cleanup, {
      maxConnectionsPerUser: 1,
      redis: {
        connection: redis.url,
        prefix: PREFIX,
        secret: SECRET,
        presenceTtlMs: TTL_MS,
        presenceIntervalMs: TTL_MS / 3,
      },
    });
    const { child, port } = await startChild(compiled.entry, {
      REDIS_URL: redis.url,
      PREFIX,
      SECRET,
      TTL_MS: String(TTL_MS),
    });
    cleanup.add(() => child.kill('SIGKILL'));
    const onChild = await TestClient.open(`ws://127.0.0.1:${port}/?user=oscar`);
    cleanup.add(() => onChild.socket.terminate());
    const control = a.app.get(SocketApiConnections);
    expect((await control.listUser('oscar')).map((info) => info.instance)).toHaveLength(1);
    expect(await refusedUpgrade(`${a.url}/?user=oscar`)).toBe(429);

    const killedAt = Date.now();
    child.kill('SIGKILL');
    await waitFor(
      async () => {
        try {
          await userClient(cleanup, a, 'oscar');
          return true;
        } catch {
          return false;
        }
      },
      { timeoutMs: TTL_MS + 10_000 },
    );
    const admittedAfter = Date.now() - killedAt;
    console.log(`admitted again ${admittedAfter} ms after the kill (presenceTtlMs ${TTL_MS})`);
    // The entry was refreshed at most TTL/3 before the kill: expired at most TTL after it; generous margin for a loaded machine.
    expect(admittedAfter).toBeLessThan(TTL_MS + 5000);
    // Redis dropped the killed instance's subscription with its connection: nothing waits for it.
    await expect(control.closeUser('oscar')).resolves.toBe(1);
  }, 60_000);
});
