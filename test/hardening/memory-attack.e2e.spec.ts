import { execFileSync, fork, type ChildProcess } from 'node:child_process';
import { readFileSync, writeFileSync } from 'node:fs';
import { resolve } from 'node:path';
import { RawClient, textFrame } from '../support/raw-ws-client.js';
import { sleep } from '../support/wait.js';
import { TestClient } from '../support/ws-client.js';

/**
 * The memory attack: N connections each doing the worst they can against a server with default
 * limits, in its own process, whose RSS (/proc/<pid>/status) may rise by at most N × the
 * per-connection bound stated in the README; afterwards it still answers a new client. RSS also
 * keeps what the allocator has not returned after the churn of hundreds of MB of frames, so the
 * tighter check on what waits is on live memory (V8 heap + Buffers after a full collection).
 */

const KiB = 1024;
const MiB = 1024 * KiB;
const CONNECTIONS = 20;
/**
 * What waits for its turn, per connection, with defaults: frames up to `maxPendingBytes` (256 KiB),
 * refusals up to as much again, and the queue entries (at most 2,048 of about 100 bytes).
 */
const PENDING_BOUND = 256 * KiB + 256 * KiB + 200 * KiB;
/**
 * The whole per-connection bound with defaults (README, "Security and limits"), about 5.1 MiB: the
 * frame being received with the socket's read chunk (2 × 64 KiB), the one being handled with its
 * text and parsed form (3 × 64 KiB), what waits (above), the send buffer (`maxBufferedBytes`, 4 MiB,
 * plus the reply that crossed it, 64 KiB here) and the connection's own state (about 10 KiB).
 */
const CONNECTION_BOUND = 2 * 64 * KiB + 3 * 64 * KiB + PENDING_BOUND + 4 * MiB + 64 * KiB + 10 * KiB;
/** Room for what a process does anyway (heap growth, collector timing), independent of N. */
const SLACK = 16 * MiB;

const root = resolve('.');

let server: ChildProcess | undefined;
let url = '';
let clients: RawClient[] = [];

/** A field of /proc/<pid>/status, in bytes. */
function status(field: 'VmRSS' | 'VmHWM'): number {
  const match = new RegExp(`^${field}:\\s+(\\d+) kB`, 'm').exec(readFileSync(`/proc/${server!.pid}/status`, 'utf8'));
  return Number(match![1]) * KiB;
}

interface Footprint {
  rss: number;
  /** V8 heap in use + Buffers, after a full collection. */
  live: number;
  /** Bytes the server has read from its clients. */
  bytesRead: number;
}

/** The server's memory after a full collection: what it holds, not what it has not collected yet. */
async function settled(): Promise<Footprint> {
  server!.send('gc');
  type Usage = NodeJS.MemoryUsage & { bytesRead: number };
  const usage = await new Promise<Usage>((done) => server!.once('message', done));
  return { rss: status('VmRSS'), live: usage.heapUsed + usage.arrayBuffers, bytesRead: usage.bytesRead };
}

/** Once the server has read everything `clients` wrote (on a loaded machine it lags), its footprint. */
async function settledAfterReading(clients: RawClient[]): Promise<Footprint> {
  const written = clients.reduce((sum, client) => sum + client.bytesWritten, 0);
  const deadline = Date.now() + 30_000;
  for (;;) {
    const footprint = await settled();
    if (footprint.bytesRead >= written) return footprint;
    if (Date.now() > deadline) throw new Error(`the server read ${footprint.bytesRead} of ${written} bytes`);
    await sleep(200);
  }
}

/** `rise` in MiB when it is within `bound`, else the numbers, so that a failure says by how much. */
function within(rise: number, bound: number): string {
  return rise <= bound ? 'within bound' : `${mb(rise)} > ${mb(bound)}`;
}

/** Resets the peak (VmHWM) to the current RSS. */
function resetPeak(): void {
  writeFileSync(`/proc/${server!.pid}/clear_refs`, '5');
}

async function openAll(): Promise<RawClient[]> {
  clients = await Promise.all(Array.from({ length: CONNECTIONS }, () => RawClient.open(url)));
  return clients;
}

/** A fresh client gets its pong: the server survived the attack and serves. */
async function answersNewClient(): Promise<void> {
  const client = await TestClient.open(url);
  try {
    client.send({ type: 'ping', id: 'after' });
    expect(await client.next()).toEqual([{ type: 'pong', id: 'after' }]);
  } finally {
    client.socket.terminate();
  }
}

const mb = (bytes: number) => `${(bytes / MiB).toFixed(1)} MiB`;

beforeAll(() => {
  execFileSync('npm', ['run', 'build', '--silent'], { cwd: root, stdio: 'pipe' });
}, 180_000);

beforeEach(async () => {
  const child = fork(resolve('test/hardening/fixtures/memory-attack-server.mjs'), [], {
    // V8's young generation at 16 MiB per semi-space, Node 20–24's default: Node 26 sizes it larger on
    // a machine with this much memory, which adds garbage to RSS (up to three semi-spaces) in any busy
    // process, whatever its connections hold. The bound under test is the library's, not V8's.
    // glibc's malloc serves 64 KiB blocks from its heap once a freed mmapped block has raised its
    // dynamic mmap threshold, and keeps them when freed: after 200 MiB of frames went through, the
    // RSS of a Node 26 server kept 80 to 125 MiB that neither V8's heap nor Buffers held (live memory:
    // 4 to 13 MiB). A fixed threshold returns freed blocks to the system: the RSS then shows what the
    // process holds (9 to 12 MiB in the same test), and the bound under test is the library's.
    execArgv: ['--expose-gc', '--max-semi-space-size=16'],
    env: { ...process.env, NODE_OPTIONS: '', MALLOC_MMAP_THRESHOLD_: '32768' },
    stdio: ['ignore', 'ignore', 'inherit', 'ipc'],
  });
  server = child;
  const port = await new Promise<string>((done, fail) => {
    child.once('message', (message) => done((message as string).replace('port:', '')));
    child.once('exit', (code) => fail(new Error(`the server exited with ${code}`)));
  });
  url = `ws://127.0.0.1:${port}/`;
}, 30_000);

afterEach(() => {
  for (const client of clients) client.destroy();
  clients = [];
  server?.kill('SIGKILL');
  server = undefined;
});

describe(`memory attack, ${CONNECTIONS} connections, default limits`, () => {
  it('max-size frames behind a handler that never settles: RSS within N × the bound, live memory N × what waits', async () => {
    const before = await settled();
    const attackers = await openAll();
    // Each frame 64 KiB (the default maxPayload): 160 of them are 10 MiB a connection, which the
    // server held in full before `maxPendingBytes` (up to 1,024 frames, 64 MiB, could wait).
    const envelope = JSON.stringify({ type: 'action', channel: 'hold', data: { pad: '' } });
    const payload = envelope.replace('"pad":""', `"pad":"${'p'.repeat(64 * KiB - envelope.length)}"`);
    expect(payload).toHaveLength(64 * KiB);
    const frame = textFrame(Buffer.from(payload));
    await Promise.all(
      attackers.map(async (attacker) => {
        attacker.send({ type: 'action', channel: 'hold', id: 0 });
        for (let i = 0; i < 160; i++) await attacker.sendFrame(frame);
      }),
    );
    const after = await settledAfterReading(attackers);
    console.log(
      `memory attack (held frames): RSS ${mb(after.rss - before.rss)} (bound ${mb(CONNECTIONS * CONNECTION_BOUND)}), ` +
        `live ${mb(after.live - before.live)} (bound ${mb(CONNECTIONS * PENDING_BOUND + SLACK)})`,
    );
    expect(within(after.rss - before.rss, CONNECTIONS * CONNECTION_BOUND)).toBe('within bound');
    expect(within(after.live - before.live, CONNECTIONS * PENDING_BOUND + SLACK)).toBe('within bound');
    expect(attackers.filter((attacker) => attacker.tcpClosed)).toEqual([]);
    await answersNewClient();
  }, 60_000);

  it('clients that ask for large replies and read none: peak RSS within N × the per-connection bound', async () => {
    const { rss: before } = await settled();
    resetPeak();
    const attackers = await openAll();
    const request = textFrame(Buffer.from(JSON.stringify({ type: 'action', channel: 'large' })));
    await Promise.all(
      attackers.map(async (attacker) => {
        attacker.pause();
        // 600 replies of 60 KB: 36 MB a connection, far more than its send buffer may hold.
        for (let i = 0; i < 600 && !attacker.tcpClosed; i++) await attacker.sendFrame(request);
      }),
    );
    await sleep(1500);
    const peak = status('VmHWM');
    expect(within(peak - before, CONNECTIONS * CONNECTION_BOUND + SLACK)).toBe('within bound');
    await answersNewClient();
  }, 60_000);
});
