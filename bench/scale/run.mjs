#!/usr/bin/env node
// Cross-instance fan-out benchmark: publications per second and delivery latency through Redis
// with two app instances (publisher on B, subscribers on A), against one instance alone (in memory).
// See bench/scale/README.md. Usage: node bench/scale/run.mjs [--no-build] [--subscribers 10,100]
//   [--rate 500] [--window 32] [--seconds 4] [--reps 3] [--out bench/scale/report.md]
//   [--channels chat,chat_history] [--setups memory,redis1,redis2]
import { execFileSync } from 'node:child_process';
import { writeFileSync } from 'node:fs';
import { cpus } from 'node:os';
import { dirname, join, relative, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { processCpu } from '../lib/procstat.mjs';
import { numsub, open, sleep, startApp, startRedis, stopApp } from './processes.mjs';

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
// `chat` and/or its twin with history `chat_history`: each (setup, subscribers) row is measured for every
// channel back to back in each repetition, so their ratio is paired.
const CHANNELS = option('channels', 'chat').split(',');
const PUBLISH_ACTION = { chat: 'publish', chat_history: 'publish_history' };
const SETUPS = option('setups', 'memory,redis1,redis2').split(',');
for (const channel of CHANNELS) if (!PUBLISH_ACTION[channel]) throw new Error(`unknown channel ${channel}`);

const now = () => performance.now();

function readNumber(text, key) {
  const at = text.indexOf(key);
  if (at < 0) return NaN;
  let end = at + key.length;
  while (end < text.length && '0123456789.-e'.includes(text[end])) end++;
  return Number(text.slice(at + key.length, end));
}

/**
 * N subscribers of a channel (`chat` or `chat_history`). Each delivery is checked (a subscriber's seqs only go up: no
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

  async connect(url, channel) {
    for (let i = 0; i < this.count; i++) {
      const socket = await open(url);
      const index = i;
      await new Promise((resolveSubscribed) => {
        socket.on('message', (data) => {
          const text = data.toString();
          // (on chat_history, the notice of the stream's birth is a `subscribed` frame too: ignored here)
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
        socket.send(`{"type":"subscribe","channel":"${channel}"}`);
      });
      this.sockets.push(socket);
    }
  }

  close() {
    for (const socket of this.sockets) socket.terminate();
  }
}

class Publisher {
  constructor(socket, action) {
    this.socket = socket;
    this.head = `{"type":"action","channel":"${action}","data":`;
    this.seq = 0;
    this.replies = 0;
    socket.on('message', (data) => {
      if (data.toString().startsWith('{"type":"action"')) this.replies++;
    });
  }

  publish() {
    const seq = this.seq++;
    this.socket.send(`${this.head}{"seq":${seq},"t":${now()}}}`);
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
const CLK_TCK = Number(execFileSync('getconf', ['CLK_TCK'], { encoding: 'utf8' }).trim()) || 100;

/** CPU seconds (user + sys) of each named process. */
function cpuOf(pids) {
  return Object.fromEntries(
    Object.entries(pids).map(([name, pid]) => {
      const cpu = processCpu(pid, CLK_TCK);
      return [name, cpu ? cpu.user + cpu.sys : NaN];
    }),
  );
}

/**
 * Burst: keeps WINDOW publications not yet at every subscriber; publications completed per second, and
 * the CPU µs each process (`pids`: apps, redis-server, this load generator) spent per publication.
 */
async function burst(subscribers, publisher, pids) {
  let cpuStart;
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
        cpuStart = cpuOf(pids);
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
  const cpuEnd = cpuOf(pids);
  const completed = subscribers.complete - startComplete;
  const latencies = subscribers.latencies.splice(0).sort((a, b) => a - b);
  await settle(subscribers, publisher);
  return {
    pubsPerSec: completed / elapsed,
    cpuUsPerPub: Object.fromEntries(
      Object.keys(pids).map((name) => [name, ((cpuEnd[name] - cpuStart[name]) * 1e6) / completed]),
    ),
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
async function measure(setup, count, channel) {
  const subscribers = new Subscribers(count);
  await subscribers.connect(setup.subscribeTo.url, channel);
  const publisher = new Publisher(await open(setup.publishTo.url), PUBLISH_ACTION[channel]);
  // Through Redis: publish once the subscribers' instance is subscribed there.
  if (setup.redisChannel) {
    for (let i = 0; i < 200 && (await numsub(setup.redisPort, setup.redisChannel)) < 1; i++) await sleep(25);
  }
  const throughput = await burst(subscribers, publisher, setup.pids);
  const latency = await fixedRate(subscribers, publisher);
  await settle(subscribers, publisher);
  const result = {
    setup: setup.label,
    channel,
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

/** `A 12.3 / B 4.5 / redis 6.7 / loadgen 8.9` */
const cpuText = (cpu) =>
  Object.entries(cpu)
    .map(([name, us]) => `${name} ${fmt(us, 1)}`)
    .join(' / ');

/** One row per setup × subscriber count: medians over the repetitions, and the throughput's range. */
function summarize(results) {
  const groups = new Map();
  for (const r of results) {
    const key = `${r.setup}|${r.subscribers}|${r.channel}`;
    groups.set(key, [...(groups.get(key) ?? []), r]);
  }
  return [...groups.values()].map((runs) => ({
    setup: runs[0].setup,
    channel: runs[0].channel,
    subscribers: runs[0].subscribers,
    reps: runs.length,
    pubsPerSec: median(runs.map((r) => r.pubsPerSec)),
    pubsMin: Math.min(...runs.map((r) => r.pubsPerSec)),
    pubsMax: Math.max(...runs.map((r) => r.pubsPerSec)),
    deliveriesPerSec: median(runs.map((r) => r.deliveriesPerSec)),
    cpuUsPerPub: Object.fromEntries(
      Object.keys(runs[0].cpuUsPerPub).map((name) => [name, median(runs.map((r) => r.cpuUsPerPub[name]))]),
    ),
    p50: median(runs.map((r) => r.p50)),
    p99: median(runs.map((r) => r.p99)),
    latency: { p50: median(runs.map((r) => r.latency.p50)), p99: median(runs.map((r) => r.latency.p99)) },
    anomalies: runs.reduce((n, r) => n + r.anomalies, 0),
    missing: runs.reduce((n, r) => n + r.missing, 0),
  }));
}

function table(rows) {
  const lines = [
    `| setup | channel | subscribers | publications/s (burst) [min–max] | deliveries/s | CPU µs/publication in the burst | latency p50 / p99 at ${RATE}/s | latency p50 / p99 in the burst | order & once |`,
    '|---|---|---:|---:|---:|---|---:|---:|---|',
  ];
  for (const r of rows) {
    lines.push(
      `| ${r.setup} | ${r.channel} | ${r.subscribers} | ${fmt(r.pubsPerSec)} [${fmt(r.pubsMin)}–${fmt(r.pubsMax)}] | ${fmt(r.deliveriesPerSec)} | ${cpuText(r.cpuUsPerPub)} | ${fmt(r.latency.p50, 2)} / ${fmt(r.latency.p99, 2)} ms | ${fmt(r.p50, 1)} / ${fmt(r.p99, 1)} ms | ${r.anomalies === 0 && r.missing === 0 ? 'ok' : `✗ ${r.anomalies} out of order, ${r.missing} missing`} |`,
    );
  }
  return lines.join('\n');
}

/** chat_history ÷ chat publications/s, within each repetition (paired): median [min–max] per setup and count. */
function historyRatios(results) {
  const lines = [];
  const plain = results.filter((r) => r.channel === 'chat');
  const keys = [...new Set(plain.map((r) => `${r.setup}|${r.subscribers}`))];
  for (const key of keys) {
    const ratios = [];
    for (const p of plain.filter((r) => `${r.setup}|${r.subscribers}` === key)) {
      const h = results.find(
        (r) =>
          r.channel === 'chat_history' && r.setup === p.setup && r.subscribers === p.subscribers && r.rep === p.rep,
      );
      if (h) ratios.push(h.pubsPerSec / p.pubsPerSec);
    }
    if (ratios.length === 0) continue;
    const [setup, subscribers] = key.split('|');
    lines.push(
      `| ${setup} | ${subscribers} | ${fmt(median(ratios), 2)} | ${fmt(Math.min(...ratios), 2)}–${fmt(Math.max(...ratios), 2)} | ${ratios.length} |`,
    );
  }
  if (lines.length === 0) return '';
  return [
    '| setup | subscribers | chat_history ÷ chat publications/s (median) | range | repetitions |',
    '|---|---:|---:|---|---:|',
    ...lines,
  ].join('\n');
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
    { key: 'memory', label: '1 instance, in-memory (publisher and subscribers on A)', env: [{}], pub: 0, sub: 0 },
    {
      key: 'redis1',
      label: '1 instance, Redis broker (publisher and subscribers on A)',
      env: [{ REDIS_URL: redis.url }],
      pub: 0,
      sub: 0,
    },
    {
      key: 'redis2',
      label: '2 instances through Redis (publisher on B, subscribers on A)',
      env: [{ REDIS_URL: redis.url }, { REDIS_URL: redis.url }],
      pub: 1,
      sub: 0,
    },
  ].filter((setup) => SETUPS.includes(setup.key));
  for (let rep = 0; rep < REPS; rep++) {
    for (const [index, setup] of setups.entries()) {
      for (const count of SUBSCRIBERS) {
        // The channels' order alternates between repetitions: neither always runs first.
        const channels = rep % 2 ? [...CHANNELS].reverse() : CHANNELS;
        for (const channel of channels) {
          const prefix = `bench${rep}-${index}-${count}-${channel}`;
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
                pids: {
                  ...Object.fromEntries(apps.map((app) => [app.name, app.child.pid])),
                  ...(setup.env[0].REDIS_URL ? { redis: redis.child.pid } : {}),
                  loadgen: process.pid,
                },
                redisChannel: setup.env[0].REDIS_URL ? `${prefix}:${channel}` : undefined,
              },
              count,
              channel,
            );
            result.rep = rep;
            results.push(result);
            console.log(
              `${setup.label}, ${channel}, ${count} subscribers: ${fmt(result.pubsPerSec)} pub/s, ${fmt(result.deliveriesPerSec)} deliveries/s; ` +
                `at ${RATE}/s p50 ${fmt(result.latency.p50, 2)} ms p99 ${fmt(result.latency.p99, 2)} ms; ` +
                `CPU µs/publication ${cpuText(result.cpuUsPerPub)}; ` +
                `${result.anomalies} out of order, ${result.missing} missing (rep ${rep + 1}/${REPS})`,
            );
          } finally {
            await Promise.all(apps.map(stopApp));
          }
        }
      }
    }
  }
  const ratios = historyRatios(results);
  const rows = summarize(results);
  redis.child.kill('SIGTERM');

  const command = `node ${relative(root, fileURLToPath(import.meta.url))}${args.length ? ' ' + args.join(' ') : ''}`;
  const report = `# Scale-out benchmark

${new Date().toISOString().slice(0, 10)}, \`${command}\`: Node ${process.version}, ${redis.version.split(' ').slice(0, 3).join(' ')},
${cpus().length} × ${cpus()[0]?.model?.trim() ?? 'CPU'}. Every process (the app instances, redis-server and
this load generator) shares these cores.

${table(rows)}
${ratios ? `\n${ratios}\n` : ''}
Medians of ${REPS} repetitions (each repetition runs every row, in turn; [min–max] of the
publications/s across them). Raw: \`bench/scale/results.json\`.

- **publications/s (burst)**: the publisher keeps ${WINDOW} publications that have not yet reached
  every subscriber; publications that reached every subscriber per second, over ${SECONDS} s after 1 s
  of warm-up. **deliveries/s** = that × subscribers. **CPU µs/publication**: user + sys time of each
  process over the same window (\`/proc/<pid>/stat\`: apps A and B, redis-server, this load generator) ÷
  those publications.
- **chat_history**: the same with the channel that has history (size 1000, ttl 300 s; \`--channels chat,chat_history\`),
  measured right after (or before: the order alternates) \`chat\` in each repetition; the ratio is taken within it.
- **latency**: from the publisher's \`publish\` action leaving the load generator to the \`data\` frame
  arriving at a subscriber (one clock: both ends are in the load generator), over every delivery;
  at a fixed ${RATE} publications/s (${SECONDS} s after 1 s of warm-up), and during the burst (queueing included).
- **order & once**: every subscriber got every publication exactly once, in publication order.
- With Redis, each publication is one PUBLISH (whatever the number of subscribers); instance A's
  Redis connection receives it once and fans it out to its local subscribers. On \`chat_history\` it is one
  script (offset, stream entry, expiries, PUBLISH), and the \`publish_history\` action answers once it is stored.
`;
  writeFileSync(OUT, report);
  writeFileSync(
    join(dirname(OUT), 'results.json'),
    `${JSON.stringify({ date: new Date().toISOString(), command, results }, null, 1)}\n`,
  );
  console.log(`\n${table(rows)}\n${ratios ? `\n${ratios}\n` : ''}\nsaved to ${relative(root, OUT)}`);
}

main().then(
  () => process.exit(0),
  (error) => {
    console.error(error);
    process.exit(1);
  },
);
