import 'reflect-metadata';
import { ClientErrorCode, SocketApiClient, SocketApiError } from '../../client/src/index.js';
import { useCleanup } from '../support/cleanup.js';
import { sleep, waitFor } from '../support/wait.js';
import { ChaosProxy, seededRandom } from './support/chaos-proxy.js';
import { startClientServer } from './support/client-server.js';
import { Recorder } from './support/observe.js';

/** Short in CI; `CLIENT_CHAOS_MS=60000` for a long run, `CLIENT_CHAOS_SEED=<n>` to replay one. */
const DURATION_MS = Number(process.env.CLIENT_CHAOS_MS ?? 3000);
const SEED = Number(process.env.CLIENT_CHAOS_SEED ?? 20261202);
const CLIENTS = 5;

interface CallRecord {
  client: number;
  key: string;
  n: number;
  settled: number;
  /** 'replied', or the code of the error. */
  outcome?: string;
  reply?: unknown;
}

describe(`chaos: a proxy that drops and stalls connections at random (seed ${SEED}, ${DURATION_MS} ms)`, () => {
  const cleanup = useCleanup();

  it('every action settles exactly once and is never run twice; every subscription is live at the end', async () => {
    const random = seededRandom(SEED);
    const server = cleanup.track(await startClientServer());
    const proxy = cleanup.track(new ChaosProxy(server.port));
    const port = await proxy.listen();

    let lastSeq = 0;
    const clients = Array.from({ length: CLIENTS }, () =>
      cleanup.track(
        new SocketApiClient(`ws://127.0.0.1:${port}`, {
          heartbeat: { idleMs: 150, timeoutMs: 200 },
          reconnect: { initialDelayMs: 20, maxDelayMs: 200 },
          queue: { maxItems: 10_000, maxBytes: 10_000_000 },
          random: seededRandom(SEED + 1),
        }),
      ),
    );
    const feeds = clients.map((client) => {
      const recorder = new Recorder(client.subscribe('news', () => ({ since: lastSeq })));
      cleanup.add(() => recorder.close());
      return recorder;
    });

    const calls: CallRecord[] = [];
    const settling: Array<Promise<void>> = [];
    const issue = () => {
      const client = Math.floor(random() * CLIENTS);
      const record: CallRecord = { client, key: `call-${calls.length}`, n: calls.length, settled: 0 };
      calls.push(record);
      const ms = Math.floor(random() * 20);
      settling.push(
        clients[client].action('slow', { n: record.n, ms, key: record.key }, { timeoutMs: 3000 }).then(
          (reply) => {
            record.settled++;
            record.outcome = 'replied';
            record.reply = reply;
          },
          (error: SocketApiError) => {
            record.settled++;
            record.outcome = error.code;
          },
        ),
      );
    };

    const end = Date.now() + DURATION_MS;
    let nextChaos = Date.now() + 100;
    while (Date.now() < end) {
      issue();
      server.api.news.publish({ seq: ++lastSeq });
      if (Date.now() >= nextChaos) {
        if (random() < 0.5) proxy.drop(random);
        else proxy.stall(random, 100 + Math.floor(random() * 500));
        nextChaos = Date.now() + 100 + Math.floor(random() * 200);
      }
      await sleep(5 + Math.floor(random() * 15));
    }

    await Promise.all(settling);
    expect(proxy.drops + proxy.stalls).toBeGreaterThan(5);
    // Exactly once: each call settled once, and a reply is always the call's own.
    expect(calls.filter((call) => call.settled !== 1)).toEqual([]);
    expect(calls.filter((call) => call.outcome === 'replied' && call.reply !== call.n)).toEqual([]);
    const allowed = new Set(['replied', ClientErrorCode.DISCONNECTED, ClientErrorCode.TIMEOUT]);
    expect(calls.filter((call) => !allowed.has(call.outcome!))).toEqual([]);
    // Never run twice (the client does not retry), and a reply means it ran.
    expect([...server.api.actionsRun.values()].filter((runs) => runs > 1)).toEqual([]);
    for (const call of calls.filter((call) => call.outcome === 'replied')) {
      expect(server.api.actionsRun.get(call.key)).toBe(1);
    }
    const replied = calls.filter((call) => call.outcome === 'replied').length;
    expect(replied).toBeGreaterThan(calls.length / 2);

    // Every subscription is live: a publication made now reaches every client.
    const marker = 1_000_000;
    await waitFor(
      () => {
        server.api.news.publish({ seq: marker });
        return feeds.every((feed) => feed.values.some((value) => (value as { seq: number }).seq === marker));
      },
      { timeoutMs: 10_000, intervalMs: 100, what: 'the marker on every feed' },
    );
    expect(feeds.filter((feed) => feed.error !== undefined)).toEqual([]);
    // One server subscription per client: none duplicated, none leaked by a dead connection.
    await waitFor(() => server.api.news.subscriberCount === CLIENTS, {
      detail: () => `subscribers ${server.api.news.subscriberCount}`,
    });
    console.log(
      `chaos seed ${SEED}: ${calls.length} actions (${replied} replied), ${proxy.drops} drops, ${proxy.stalls} stalls, ${lastSeq} publications`,
    );
  });
});
