// Processes and sockets shared by the scale benchmarks (run.mjs, recovery.mjs, append-cost.mjs): a private
// redis-server, the app (app.mjs) as a child process, ws clients. Every child is killed when this process exits.
import { spawn, spawnSync } from 'node:child_process';
import { createConnection, createServer } from 'node:net';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import WebSocket from 'ws';

const here = dirname(fileURLToPath(import.meta.url));
const root = resolve(here, '../..');
export const sleep = (ms) => new Promise((r) => setTimeout(r, ms));

// ---------------------------------------------------------------- processes
const children = new Set();
function cleanup() {
  for (const child of children) child.kill('SIGKILL');
}
process.on('exit', cleanup);
process.on('SIGINT', () => process.exit(130));

export function freePort() {
  return new Promise((resolvePort, reject) => {
    const server = createServer();
    server.once('error', reject);
    server.listen(0, '127.0.0.1', () => {
      const { port } = server.address();
      server.close(() => resolvePort(port));
    });
  });
}

/** Sends one command (inline or RESP) and resolves with the reply once `complete(reply)` holds. */
export function redisCommand(port, command, complete = (reply) => reply.endsWith('\r\n')) {
  return new Promise((resolveReply) => {
    const socket = createConnection({ port, host: '127.0.0.1' });
    let reply = '';
    const timer = setTimeout(() => (socket.destroy(), resolveReply(reply)), 2000);
    socket.once('connect', () => socket.write(command));
    socket.on('data', (chunk) => {
      reply += chunk;
      if (complete(reply)) {
        clearTimeout(timer);
        socket.destroy();
        resolveReply(reply);
      }
    });
    socket.once('error', () => (clearTimeout(timer), resolveReply('')));
  });
}

/** Redis connections subscribed to a Redis channel (PUBSUB NUMSUB). */
export async function numsub(port, channel) {
  const resp = `*3\r\n$6\r\nPUBSUB\r\n$6\r\nNUMSUB\r\n$${Buffer.byteLength(channel)}\r\n${channel}\r\n`;
  const reply = await redisCommand(port, resp, (text) => /:\d+\r\n$/.test(text));
  return Number(/:(\d+)\r\n$/.exec(reply)?.[1] ?? 0);
}

export async function startRedis() {
  const which = spawnSync('sh', ['-c', 'command -v redis-server'], { encoding: 'utf8' });
  if (which.status !== 0) throw new Error('redis-server not found: apt-get install redis-server');
  const port = await freePort();
  const child = spawn(
    which.stdout.trim(),
    ['--port', String(port), '--bind', '127.0.0.1', '--save', '', '--appendonly', 'no'],
    {
      stdio: 'ignore',
    },
  );
  children.add(child);
  for (let i = 0; i < 200; i++) {
    if ((await redisCommand(port, 'PING\r\n')).startsWith('+PONG')) {
      const version = spawnSync(which.stdout.trim(), ['--version'], { encoding: 'utf8' }).stdout.trim();
      return { port, url: `redis://127.0.0.1:${port}`, child, version };
    }
    await sleep(25);
  }
  throw new Error('redis-server did not start');
}

export function startApp(name, env) {
  return new Promise((resolveApp, reject) => {
    const child = spawn(process.execPath, [join(here, 'app.mjs')], {
      cwd: root,
      env: { ...process.env, PORT: '0', NODE_OPTIONS: '', ...env },
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    children.add(child);
    let output = '';
    const onData = (chunk) => {
      output += chunk;
      const match = /READY (\d+)/.exec(output);
      if (match) resolveApp({ name, child, url: `ws://127.0.0.1:${match[1]}/` });
    };
    child.stdout.on('data', onData);
    child.stderr.on('data', (chunk) => (output += chunk));
    child.once('exit', (code) => reject(new Error(`${name} exited (${code}):\n${output}`)));
  });
}

export async function stopApp(app) {
  if (app.child.exitCode !== null) return;
  app.child.removeAllListeners('exit');
  const exited = new Promise((r) => app.child.once('exit', r));
  app.child.kill('SIGTERM');
  await Promise.race([exited, sleep(5000)]);
  children.delete(app.child);
}

// ---------------------------------------------------------------- clients
const WS_OPTIONS = { perMessageDeflate: false, skipUTF8Validation: true };

export function open(url) {
  return new Promise((resolveSocket, reject) => {
    const socket = new WebSocket(url, WS_OPTIONS);
    socket.once('open', () => resolveSocket(socket));
    socket.once('error', reject);
  });
}
