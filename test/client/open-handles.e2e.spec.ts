import { spawn } from 'node:child_process';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { createServer, type AddressInfo, type Socket } from 'node:net';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { buildSync } from 'esbuild';
import { WebSocketServer } from 'ws';
import { useCleanup } from '../support/cleanup.js';

/** Far above `EXIT_WITHIN_MS`: a timer of the client left running after `close()` keeps the process this long. */
const LONG_MS = 60_000;
/** How soon after `close()` resolved the process must have exited by itself. */
const EXIT_WITHIN_MS = 3000;
/** A process still alive this long after its start is stuck: killed, and the test fails. */
const KILL_AFTER_MS = 15_000;

/**
 * A Node process that uses the client (bundled from client/src with ws and rxjs: a plain Node
 * process, not Jest's, so that only the client can keep it alive), waits for `ready` (a state or
 * a delay), calls `close()` and prints `closed`. `options` is the client's options as code.
 */
function clientScript(url: string, options: string, ready: string): string {
  return `
    import { SocketApiClient } from './client/src/index.ts';
    import WebSocket from 'ws';
    const client = new SocketApiClient(${JSON.stringify(url)}, ${options});
    const ready = ${ready};
    ready.then(async () => {
      const state = client.state.status;
      await client.close();
      console.log('closed ' + state);
    });
  `;
}

/** Runs `script` (TypeScript) in its own Node process; resolves with its output and how long it lived after `closed`. */
async function runClientProcess(
  script: string,
  directory: string,
): Promise<{ output: string; exitAfterCloseMs: number }> {
  const bundle = buildSync({
    stdin: { contents: script, resolveDir: resolve('.'), loader: 'ts', sourcefile: 'client-process.ts' },
    bundle: true,
    platform: 'node',
    format: 'cjs',
    target: 'node20',
    write: false,
    logLevel: 'silent',
  });
  const file = join(directory, 'client-process.cjs');
  await writeFile(file, bundle.outputFiles[0].text);
  const child = spawn(process.execPath, [file], { stdio: ['ignore', 'pipe', 'pipe'] });
  let output = '';
  let closedAt: number | undefined;
  child.stdout.on('data', (chunk: Buffer) => {
    output += chunk.toString();
    if (closedAt === undefined && output.includes('closed')) closedAt = Date.now();
  });
  child.stderr.on('data', (chunk: Buffer) => (output += chunk.toString()));
  let killed = false;
  const killer = setTimeout(() => {
    killed = true;
    child.kill('SIGKILL');
  }, KILL_AFTER_MS);
  const code = await new Promise<number | null>((done) => child.on('exit', (exitCode) => done(exitCode)));
  clearTimeout(killer);
  if (killed)
    throw new Error(`the client process did not exit by itself (killed after ${KILL_AFTER_MS} ms): ${output}`);
  if (code !== 0 || closedAt === undefined) throw new Error(`the client process ended with ${code}: ${output}`);
  return { output: output.trim(), exitAfterCloseMs: Date.now() - closedAt };
}

/** A TCP server that accepts connections and never answers: a handshake (or an HTTP request) that hangs. */
async function silentTcpServer(): Promise<{ url: string; connections: () => number; close: () => Promise<void> }> {
  const sockets: Socket[] = [];
  const server = createServer((socket) => sockets.push(socket));
  await new Promise<void>((done) => server.listen(0, '127.0.0.1', done));
  return {
    url: `ws://127.0.0.1:${(server.address() as AddressInfo).port}`,
    connections: () => sockets.length,
    close: () => {
      for (const socket of sockets) socket.destroy();
      return new Promise((done) => server.close(() => done()));
    },
  };
}

describe('a Node process using the client exits by itself after close()', () => {
  const cleanup = useCleanup();
  let directory: string;

  beforeEach(async () => {
    directory = await mkdtemp(join(tmpdir(), 'client-handles-'));
    cleanup.add(() => rm(directory, { recursive: true, force: true }));
  });

  it('while connecting (a handshake the server never answers)', async () => {
    const { url, close } = await silentTcpServer();
    cleanup.add(close);
    const script = clientScript(
      url,
      `{ WebSocket, connectTimeoutMs: ${LONG_MS} }`,
      'new Promise((done) => setTimeout(done, 300))',
    );
    const { output, exitAfterCloseMs } = await runClientProcess(script, directory);
    expect(output).toBe('closed connecting');
    expect(exitAfterCloseMs).toBeLessThan(EXIT_WITHIN_MS);
  });

  it('while probing whether the server answers HTTP (a handshake that failed without a status)', async () => {
    const { url, connections, close } = await silentTcpServer();
    cleanup.add(close);
    // The handshake times out after 200 ms with no HTTP status: the client probes the URL over HTTP,
    // which the silent server never answers; the probe is under way when close() is called.
    const script = clientScript(
      url,
      `{ WebSocket, connectTimeoutMs: 200, auth: { token: 'secret', renewal: false } }`,
      'new Promise((done) => setTimeout(done, 1200))',
    );
    const { output, exitAfterCloseMs } = await runClientProcess(script, directory);
    expect(output).toBe('closed connecting');
    expect(connections()).toBeGreaterThanOrEqual(2); // the handshake, then the probe (undici may open one more as it aborts)
    expect(exitAfterCloseMs).toBeLessThan(EXIT_WITHIN_MS);
  });

  it('while open, while waiting for a backoff, and while waiting for a token', async () => {
    const server = new WebSocketServer({ host: '127.0.0.1', port: 0 });
    cleanup.add(() => new Promise((done) => server.close(done)));
    await new Promise((done) => server.once('listening', done));
    const url = `ws://127.0.0.1:${(server.address() as AddressInfo).port}`;
    let cutNext = false;
    server.on('connection', (socket) => {
      if (cutNext) socket.close(1011);
      socket.on('message', () => socket.send(JSON.stringify({ type: 'pong' })));
    });
    const stateIs = (status: string) =>
      `new Promise((done) => client.state$.subscribe((s) => s.status === '${status}' && done()))`;

    const open = await runClientProcess(clientScript(url, `{ WebSocket }`, stateIs('open')), directory);
    expect(open.output).toBe('closed open');
    expect(open.exitAfterCloseMs).toBeLessThan(EXIT_WITHIN_MS);

    // No WebSocket option: on Node 20 the client imports ws lazily; closed before that import is done.
    const lazy = await runClientProcess(clientScript(url, `{}`, 'Promise.resolve()'), directory);
    expect(lazy.output).toBe('closed connecting');
    expect(lazy.exitAfterCloseMs).toBeLessThan(EXIT_WITHIN_MS);

    cutNext = true;
    const backoff = `{ WebSocket, reconnect: { initialDelayMs: ${LONG_MS}, maxDelayMs: ${LONG_MS} }, random: () => 0.99 }`;
    const waiting = await runClientProcess(clientScript(url, backoff, stateIs('reconnecting')), directory);
    expect(waiting.output).toBe('closed reconnecting');
    expect(waiting.exitAfterCloseMs).toBeLessThan(EXIT_WITHIN_MS);

    const token = `{ WebSocket, auth: { token: () => new Promise(() => undefined) } }`;
    const fetching = await runClientProcess(
      clientScript(url, token, 'new Promise((done) => setTimeout(done, 200))'),
      directory,
    );
    expect(fetching.output).toBe('closed connecting');
    expect(fetching.exitAfterCloseMs).toBeLessThan(EXIT_WITHIN_MS);
  });
});
