import { spawn } from 'node:child_process';
import { once } from 'node:events';
import WebSocket from 'ws';
import { SocketApiClient } from '../../client/src/index.js';
import { useCleanup } from '../support/cleanup.js';
import { waitFor } from '../support/wait.js';
import { seededRandom } from './support/chaos-proxy.js';

const CLIENTS = 1000;
// Wide enough that the event loop's lag on a loaded 2-core machine (1,000 handshakes) stays small
// against a bucket.
const WINDOW_MS = 4000;
const BUCKETS = 8;

/**
 * A raw `ws` server in its own process (the handshakes of 1,000 reconnections would otherwise
 * share the clients' event loop and delay their timers): it prints its port, and cuts every
 * connection when it reads a line.
 */
const SERVER_SCRIPT = `
  const { WebSocketServer } = require('ws');
  const server = new WebSocketServer({ host: '127.0.0.1', port: 0, backlog: 2048 });
  server.on('listening', () => console.log(server.address().port));
  process.stdin.on('data', () => { for (const socket of server.clients) socket.terminate(); });
`;

describe('the backoff spreads a herd', () => {
  const cleanup = useCleanup();

  it(`${CLIENTS} clients dropped at once come back spread over the first retry's window (${WINDOW_MS} ms)`, async () => {
    const server = spawn(process.execPath, ['-e', SERVER_SCRIPT], { stdio: ['pipe', 'pipe', 'inherit'] });
    cleanup.add(() => server.kill());
    const [port] = (await once(server.stdout, 'data')) as [Buffer];
    const url = `ws://127.0.0.1:${port.toString().trim()}`;

    // The time each client starts an attempt, seen where the client opens its socket.
    const attempts: number[][] = [];
    const recordingWebSocket = (index: number) =>
      class extends WebSocket {
        constructor(address: string, protocols?: string | string[]) {
          super(address, protocols);
          (attempts[index] ??= []).push(Date.now());
        }
      };
    const dropped: number[] = [];
    const random = seededRandom(42);
    const clients = Array.from({ length: CLIENTS }, (_, index) => {
      const client = cleanup.track(
        new SocketApiClient(url, {
          WebSocket: recordingWebSocket(index),
          heartbeat: false,
          reconnect: { initialDelayMs: WINDOW_MS, maxDelayMs: 30_000 },
          random,
        }),
      );
      client.state$.subscribe((state) => {
        if (state.status === 'reconnecting' && dropped[index] === undefined) dropped[index] = Date.now();
      });
      return client;
    });
    await waitFor(() => clients.every((client) => client.state.status === 'open'), {
      timeoutMs: 20_000,
      what: 'all open',
    });

    const massDisconnect = Date.now();
    server.stdin.write('drop\n');
    await waitFor(() => attempts.every((times) => times.length >= 2), {
      timeoutMs: 20_000,
      what: 'every client retried',
    });
    await waitFor(() => clients.every((client) => client.state.status === 'open'), {
      timeoutMs: 20_000,
      what: 'all back',
    });

    // Each client's first retry, after it saw the drop: uniform over the window (full jitter).
    const delays = attempts.map((times, index) => times[1] - dropped[index]);
    const counts = Array.from({ length: BUCKETS }, () => 0);
    for (const delay of delays) counts[Math.min(BUCKETS - 1, Math.floor((delay / WINDOW_MS) * BUCKETS))]++;
    const expected = CLIENTS / BUCKETS;
    const spreadOver = Math.max(...attempts.map((times) => times[1])) - massDisconnect;
    console.log(
      `herd: first retries per ${WINDOW_MS / BUCKETS} ms bucket ${JSON.stringify(counts)}; ` +
        `last first retry ${spreadOver} ms after the drop`,
    );
    // The stated bound, generous for a loaded 2-core machine: no tenth of the window gets more than
    // twice its share (no-jitter backoff would put all 1,000 in one), none gets less than a third.
    expect(Math.max(...counts)).toBeLessThanOrEqual(2 * expected);
    expect(Math.min(...counts)).toBeGreaterThanOrEqual(expected / 3);
    expect(spreadOver).toBeGreaterThanOrEqual(0.9 * WINDOW_MS);
  }, 60_000);
});
