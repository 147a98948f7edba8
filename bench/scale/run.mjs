#!/usr/bin/env node
// Cross-instance fan-out benchmark: publications per second and delivery latency through Redis
// with two app instances (publisher on B, subscribers on A), against one instance alone (in memory).
// See bench/scale/README.md. Usage: node bench/scale/run.mjs [--no-build] [--subscribers 10,100]
//   [--rate 500] [--window 32] [--seconds 4] [--reps 3] [--out bench/scale/report.md]
import { execFileSync, spawn, spawnSync } from 'node:child_process';
import { writeFileSync } from 'node:fs';
import { createConnection, createServer } from 'node:net';
import { cpus } from 'node:os';
import { dirname, join, relative, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import WebSocket from 'ws';

const here = dirname(fileURLToPath(import.meta.url));
const root = resolve(here, '../..');

const args = process.argv.slice(2);
const flag = (name) => args.includes(`--${name}`);
const option = (name, fallback) => {
  const index = args.indexOf(`--${name}`);
  return index === -1 ? fallback : args[index + 1];
};
const SUBSCRIBERS = option('subscribers', '10,100').split(',').map(Number);
const RATE = Number(option('rate', 500)); // publications/s of the fixed-rate (latency) phase
const WINDOW = Number(option('window', 32)); // burst: publications not yet at every subscriber
const SECONDS = Number(option('seconds', 4)); // measured, per phase, after 1 s of warm-up
const REPS = Number(option('reps', 3)); // repetitions, interleaved; the table shows medians
const OUT = resolve(root, option('out', 'bench/scale/report.md'));

const sleep = (ms) => new Promise((r) => setTimeout(r, ms));
const now = () => performance.now();

// ---------------------------------------------------------------- processes
const children = new Set();
function cleanup() {
  for (const child of children) child.kill('SIGKILL');
}
process.on('exit', cleanup);
process.on('SIGINT', () => process.exit(130));

function freePort() {
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
function redisCommand(port, command, complete = (reply) => reply.endsWith('\r\n')) {
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
async function numsub(port, channel) {
  const resp = `*3\r\n$6\r\nPUBSUB\r\n$6\r\nNUMSUB\r\n$${Buffer.byteLength(channel)}\r\n${channel}\r\n`;
  const reply = await redisCommand(port, resp, (text) => /:\d+\r\n$/.test(text));
  return Number(/:(\d+)\r\n$/.exec(reply)?.[1] ?? 0);
}

async function startRedis() {
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

function startApp(name, env) {
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

async function stopApp(app) {
  if (app.child.exitCode !== null) return;
  app.child.removeAllListeners('exit');
  const exited = new Promise((r) => app.child.once('exit', r));
  app.child.kill('SIGTERM');
  await Promise.race([exited, sleep(5000)]);
  children.delete(app.child);
}

// ---------------------------------------------------------------- clients
const WS_OPTIONS = { perMessageDeflate: false, skipUTF8Validation: true };

function open(url) {
  return new Promise((resolveSocket, reject) => {
    const socket = new WebSocket(url, WS_OPTIONS);
    socket.once('open', () => resolveSocket(socket));
    socket.once('error', reject);
  });
}

function readNumber(text, key) {
  const at = text.indexOf(key);
  if (at < 0) return NaN;
  let end = at + key.length;
  while (end < text.length && '0123456789.-e'.includes(text[end])) end++;
  return Number(text.slice(at + key.length, end));
}

/**
 * N subscribers of `chat`. Each delivery is checked (a subscriber's seqs only go up: no
 * duplicate, no reordering) and its latency recorded when `recording`.
 */
class Subscribers {
  constructor(count) {
    this.count = count;
    this.sockets = [];
    this.last = new Float64Array(count).fill(-1);
    this.anomalies = 0;
    this.delivered = 0;
    this.perSeq = new Uint16Array(1 << 22); // deliveries of each seq so far
    this.complete = 0; // seqs at every subscriber
    this.latencies = [];
    this.recording = false;
  }

  async connect(url) {
    for (let i = 0; i < this.count; i++) {
      const socket = await open(url);
      const index = i;
      await new Promise((resolveSubscribed) => {
        socket.on('message', (data) => {
          const text = data.toString();
          if (text.startsWith('{"type":"subscribed"')) return resolveSubscribed();
          if (!text.startsWith('{"type":"data"')) return;
          const received = now();
          const seq = readNumber(text, '"seq":');
          if (seq <= this.last[index]) this.anomalies++;
          this.last[index] = seq;
          this.delivered++;
          if (++this.perSeq[seq] === this.count) this.complete++;
          if (this.recording) this.latencies.push(received - readNumber(text, '"t":'));
        });
        socket.send('{"type":"subscribe","channel":"chat"}');
      });
      this.sockets.push(socket);
    }
  }

  close() {
    for (const socket of this.sockets) socket.terminate();
  }
}

class Publisher {
  constructor(socket) {
    this.socket = socket;
    this.seq = 0;
    this.replies = 0;
    socket.on('message', (data) => {
      if (data.toString().startsWith('{"type":"action"')) this.replies++;
    });
  }

  publish() {
    const seq = this.seq++;
    this.socket.send(`{"type":"action","channel":"publish","data":{"seq":${seq},"t":${now()}}}`);
    return seq;
  }
}

const percentile = (sorted, p) =>
  sorted.length === 0 ? NaN : sorted[Math.min(sorted.length - 1, Math.floor((p / 100) * sorted.length))];

/** Waits until every publication so far reached every subscriber (or gives up). */
async function settle(subscribers, publisher, timeoutMs = 10_000) {
  const deadline = now() + timeoutMs;
  while (subscribers.complete < publisher.seq && now() < deadline) await sleep(5);
  return subscribers.complete === publisher.seq;
}

/** Burst: keeps WINDOW publications not yet at every subscriber; publications completed per second. */
async function burst(subscribers, publisher) {
  let measuring = false;
  let startAt = 0;
  let startComplete = 0;
  const warmupEnd = now() + 1000;
  const end = warmupEnd + SECONDS * 1000;
  await new Promise((done) => {
    const pump = () => {
      const t = now();
      if (!measuring && t >= warmupEnd) {
        measuring = true;
        startAt = t;
        startComplete = subscribers.complete;
        subscribers.recording = true;
      }
      if (t >= end) return done();
      while (publisher.seq - subscribers.complete < WINDOW) publisher.publish();
      setImmediate(pump);
    };
    pump();
  });
  subscribers.recording = false;
  const elapsed = (now() - startAt) / 1000;
  const completed = subscribers.complete - startComplete;
  const latencies = subscribers.latencies.splice(0).sort((a, b) => a - b);
  await settle(subscribers, publisher);
  return {
    pubsPerSec: completed / elapsed,
    deliveriesPerSec: (completed * subscribers.count) / elapsed,
    p50: percentile(latencies, 50),
    p99: percentile(latencies, 99),
  };
}

/** Fixed rate: RATE publications/s; delivery latency (publish sent → data frame received). */
async function fixedRate(subscribers, publisher) {
  const start = now();
  const warmupEnd = start + 1000;
  const end = warmupEnd + SECONDS * 1000;
  let sent = 0;
  await new Promise((done) => {
    const timer = setInterval(() => {
      const t = now();
      if (t >= end) {
        clearInterval(timer);
        return done();
      }
      subscribers.recording = t >= warmupEnd;
      const due = Math.floor(((t - start) / 1000) * RATE);
      while (sent < due) {
        publisher.publish();
        sent++;
      }
    }, 1);
  });
  subscribers.recording = false;
  await settle(subscribers, publisher);
  const latencies = subscribers.latencies.splice(0).sort((a, b) => a - b);
  return {
    p50: percentile(latencies, 50),
    p99: percentile(latencies, 99),
    max: latencies.at(-1),
    samples: latencies.length,
  };
}

// ---------------------------------------------------------------- scenarios
async function measure(setup, count) {
  const subscribers = new Subscribers(count);
  await subscribers.connect(setup.subscribeTo.url);
  const publisher = new Publisher(await open(setup.publishTo.url));
  // Through Redis: publish once the subscribers' instance is subscribed there.
  if (setup.redisChannel) {
    for (let i = 0; i < 200 && (await numsub(setup.redisPort, setup.redisChannel)) < 1; i++) await sleep(25);
  }
  const throughput = await burst(subscribers, publisher);
  const latency = await fixedRate(subscribers, publisher);
  await settle(subscribers, publisher);
  const result = {
    setup: setup.label,
    subscribers: count,
    ...throughput,
    latency,
    published: publisher.seq,
    delivered: subscribers.delivered,
    missing: publisher.seq * count - subscribers.delivered,
    anomalies: subscribers.anomalies,
  };
  publisher.socket.terminate();
  subscribers.close();
  await sleep(200);
  return result;
}

const fmt = (n, digits = 0) =>
  Number.isFinite(n)
    ? n.toLocaleString('en-US', { maximumFractionDigits: digits, minimumFractionDigits: digits })
    : '–';

const median = (values) => {
  const sorted = [...values].sort((a, b) => a - b);
  const middle = sorted.length >> 1;
  return sorted.length % 2 ? sorted[middle] : (sorted[middle - 1] + sorted[middle]) / 2;
};

/** One row per setup × subscriber count: medians over the repetitions, and the throughput's range. */
function summarize(results) {
  const groups = new Map();
  for (const r of results) {
    const key = `${r.setup}|${r.subscribers}`;
    groups.set(key, [...(groups.get(key) ?? []), r]);
  }
  return [...groups.values()].map((runs) => ({
    setup: runs[0].setup,
    subscribers: runs[0].subscribers,
    reps: runs.length,
    pubsPerSec: median(runs.map((r) => r.pubsPerSec)),
    pubsMin: Math.min(...runs.map((r) => r.pubsPerSec)),
    pubsMax: Math.max(...runs.map((r) => r.pubsPerSec)),
    deliveriesPerSec: median(runs.map((r) => r.deliveriesPerSec)),
    p50: median(runs.map((r) => r.p50)),
    p99: median(runs.map((r) => r.p99)),
    latency: { p50: median(runs.map((r) => r.latency.p50)), p99: median(runs.map((r) => r.latency.p99)) },
    anomalies: runs.reduce((n, r) => n + r.anomalies, 0),
    missing: runs.reduce((n, r) => n + r.missing, 0),
  }));
}

function table(rows) {
  const lines = [
    `| setup | subscribers | publications/s (burst) [min–max] | deliveries/s | latency p50 / p99 at ${RATE}/s | latency p50 / p99 in the burst | order & once |`,
    '|---|---:|---:|---:|---:|---:|---|',
  ];
  for (const r of rows) {
    lines.push(
      `| ${r.setup} | ${r.subscribers} | ${fmt(r.pubsPerSec)} [${fmt(r.pubsMin)}–${fmt(r.pubsMax)}] | ${fmt(r.deliveriesPerSec)} | ${fmt(r.latency.p50, 2)} / ${fmt(r.latency.p99, 2)} ms | ${fmt(r.p50, 1)} / ${fmt(r.p99, 1)} ms | ${r.anomalies === 0 && r.missing === 0 ? 'ok' : `✗ ${r.anomalies} out of order, ${r.missing} missing`} |`,
    );
  }
  return lines.join('\n');
}

async function main() {
  if (!flag('no-build')) {
    console.log('building dist/lib (npx tsc -p tsconfig.build.json)…');
    execFileSync('npx', ['tsc', '-p', 'tsconfig.build.json'], { cwd: root, stdio: 'inherit' });
  }
  const redis = await startRedis();
  console.log(`${redis.version.split(' ').slice(0, 3).join(' ')} on ${redis.url}`);
  const results = [];
  const setups = [
    { label: '1 instance, in-memory (publisher and subscribers on A)', env: [{}], pub: 0, sub: 0 },
    {
      label: '1 instance, Redis broker (publisher and subscribers on A)',
      env: [{ REDIS_URL: redis.url }],
      pub: 0,
      sub: 0,
    },
    {
      label: '2 instances through Redis (publisher on B, subscribers on A)',
      env: [{ REDIS_URL: redis.url }, { REDIS_URL: redis.url }],
      pub: 1,
      sub: 0,
    },
  ];
  for (let rep = 0; rep < REPS; rep++) {
    for (const [index, setup] of setups.entries()) {
      for (const count of SUBSCRIBERS) {
        const prefix = `bench${rep}-${index}-${count}`;
        const apps = await Promise.all(
          setup.env.map((env, i) => startApp(String.fromCharCode(65 + i), { ...env, REDIS_PREFIX: prefix })),
        );
        try {
          const result = await measure(
            {
              label: setup.label,
              publishTo: apps[setup.pub],
              subscribeTo: apps[setup.sub],
              redisPort: redis.port,
              redisChannel: setup.env[0].REDIS_URL ? `${prefix}:chat` : undefined,
            },
            count,
          );
          results.push(result);
          console.log(
            `${setup.label}, ${count} subscribers: ${fmt(result.pubsPerSec)} pub/s, ${fmt(result.deliveriesPerSec)} deliveries/s; ` +
              `at ${RATE}/s p50 ${fmt(result.latency.p50, 2)} ms p99 ${fmt(result.latency.p99, 2)} ms; ` +
              `${result.anomalies} out of order, ${result.missing} missing (rep ${rep + 1}/${REPS})`,
          );
        } finally {
          await Promise.all(apps.map(stopApp));
        }
      }
    }
  }
  const rows = summarize(results);
  redis.child.kill('SIGTERM');

  const command = `node ${relative(root, fileURLToPath(import.meta.url))}${args.length ? ' ' + args.join(' ') : ''}`;
  const report = `# Scale-out benchmark

${new Date().toISOString().slice(0, 10)}, \`${command}\`: Node ${process.version}, ${redis.version.split(' ').slice(0, 3).join(' ')},
${cpus().length} × ${cpus()[0]?.model?.trim() ?? 'CPU'}. Every process (the app instances, redis-server and
this load generator) shares these cores.

${table(rows)}

Medians of ${REPS} repetitions (each repetition runs every row, in turn; [min–max] of the
publications/s across them). Raw: \`bench/scale/results.json\`.

- **publications/s (burst)**: the publisher keeps ${WINDOW} publications that have not yet reached
  every subscriber; publications that reached every subscriber per second, over ${SECONDS} s after 1 s
  of warm-up. **deliveries/s** = that × subscribers.
- **latency**: from the publisher's \`publish\` action leaving the load generator to the \`data\` frame
  arriving at a subscriber (one clock: both ends are in the load generator), over every delivery;
  at a fixed ${RATE} publications/s (${SECONDS} s after 1 s of warm-up), and during the burst (queueing included).
- **order & once**: every subscriber got every publication exactly once, in publication order.
- With Redis, each publication is one PUBLISH (whatever the number of subscribers); instance A's
  Redis connection receives it once and fans it out to its local subscribers.
`;
  writeFileSync(OUT, report);
  writeFileSync(
    join(dirname(OUT), 'results.json'),
    `${JSON.stringify({ date: new Date().toISOString(), command, results }, null, 1)}\n`,
  );
  console.log(`\n${table(rows)}\n\nsaved to ${relative(root, OUT)}`);
}

main().then(
  () => process.exit(0),
  (error) => {
    console.error(error);
    process.exit(1);
  },
);
