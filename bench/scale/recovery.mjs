#!/usr/bin/env node
// Recovery of missed publications (issue 12): a client that was subscribed to `chat_history` (history
// size 1000) misses N publications, then subscribes again with `recover` at its last offset; measured:
// the time from sending that `subscribe` to receiving the last replayed `data` frame. In memory (one
// instance) and on Redis (two instances on one redis-server: publications made on B, recovery on A).
//
//   node bench/scale/recovery.mjs [--no-build] [--missed 1000] [--reps 7] [--setups memory,redis]
//
// Each setup gets fresh app processes; a warm-up round (not counted) precedes the repetitions. Every
// round checks the answer: `recovered: true`, exactly N frames, offsets in order, the last one the top.
import { execFileSync } from 'node:child_process';
import { dirname, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { numsub, open, sleep, startApp, startRedis, stopApp } from './processes.mjs';

const root = resolve(dirname(fileURLToPath(import.meta.url)), '../..');
const args = process.argv.slice(2);
const option = (name, fallback) => {
  const index = args.indexOf(`--${name}`);
  return index === -1 ? fallback : args[index + 1];
};
const MISSED = Number(option('missed', 1000)); // ≤ the channel's history size (1000 in app.mjs)
const REPS = Number(option('reps', 7));
const SETUPS = option('setups', 'memory,redis').split(',');
const PUBLISH_WINDOW = 64; // publications awaiting their answer at once while the missed ones are made

/** A ws client that answers requests by id and hands every other frame to `onFrame`. */
class Client {
  constructor(socket) {
    this.socket = socket;
    this.nextId = 1;
    this.pending = new Map();
    this.onFrame = () => undefined;
    socket.on('message', (raw) => {
      const text = raw.toString();
      const message = JSON.parse(text);
      const reply = message.id !== undefined && this.pending.get(message.id);
      if (reply) {
        this.pending.delete(message.id);
        return reply(message);
      }
      this.onFrame(message);
    });
  }

  static async connect(url) {
    return new Client(await open(url));
  }

  request(message) {
    const id = this.nextId++;
    return new Promise((resolveReply) => {
      this.pending.set(id, resolveReply);
      this.socket.send(JSON.stringify({ ...message, id }));
    });
  }

  /** `count` publications on chat_history, at most PUBLISH_WINDOW awaiting their answer at once. */
  async publishMany(count, from) {
    let next = 0;
    const worker = async () => {
      while (next < count) {
        const seq = from + next++;
        const reply = await this.request({ type: 'action', channel: 'publish_history', data: { seq } });
        if (reply.status !== 'completed') throw new Error(`publish_history failed: ${JSON.stringify(reply)}`);
      }
    };
    await Promise.all(Array.from({ length: PUBLISH_WINDOW }, worker));
  }

  close() {
    this.socket.terminate();
  }
}

/** One round: subscribe (position P), leave, MISSED publications on `publisher`, recover from P; ms. */
async function round(subscribeUrl, publisher, seq) {
  const first = await Client.connect(subscribeUrl);
  const subscribed = await first.request({ type: 'subscribe', channel: 'chat_history' });
  if (subscribed.type !== 'subscribed') throw new Error(`subscribe: ${JSON.stringify(subscribed)}`);
  const since = { offset: subscribed.offset, epoch: subscribed.epoch };
  first.close();
  await publisher.publishMany(MISSED, seq);

  const again = await Client.connect(subscribeUrl);
  const target = since.offset + MISSED;
  let received = 0;
  let expected = since.offset + 1;
  let lastAt = 0;
  let firstAt = 0;
  const replayed = new Promise((resolveReplay, reject) => {
    again.onFrame = (message) => {
      if (message.type !== 'data') return;
      if (message.offset !== expected++) reject(new Error(`offset ${message.offset}, expected ${expected - 1}`));
      if (received++ === 0) firstAt = performance.now();
      if (message.offset === target) {
        lastAt = performance.now();
        resolveReplay();
      }
    };
  });
  const sentAt = performance.now();
  const reply = await again.request({ type: 'subscribe', channel: 'chat_history', recover: since });
  const replyAt = performance.now();
  if (reply.recovered !== true || reply.offset !== target) throw new Error(`recover: ${JSON.stringify(reply)}`);
  await Promise.race([replayed, sleep(30_000).then(() => Promise.reject(new Error('replay timed out')))]);
  again.close();
  if (received !== MISSED) throw new Error(`${received} frames replayed, expected ${MISSED}`);
  return { total: lastAt - sentAt, reply: replyAt - sentAt, first: firstAt - sentAt };
}

const median = (values) => {
  const sorted = [...values].sort((a, b) => a - b);
  const middle = sorted.length >> 1;
  return sorted.length % 2 ? sorted[middle] : (sorted[middle - 1] + sorted[middle]) / 2;
};

async function measure(setup, redis) {
  const env = setup === 'redis' ? { REDIS_URL: redis.url, REDIS_PREFIX: `recovery-${Date.now()}` } : {};
  const apps = await Promise.all((setup === 'redis' ? ['A', 'B'] : ['A']).map((name) => startApp(name, env)));
  try {
    const subscribeTo = apps[0];
    const publisher = await Client.connect(apps.at(-1).url);
    if (setup === 'redis') {
      // A listens to chat_history on Redis only while it has a subscriber: it holds one for the whole run.
      const holder = await Client.connect(subscribeTo.url);
      await holder.request({ type: 'subscribe', channel: 'chat_history' });
      const channel = `${env.REDIS_PREFIX}:chat_history`;
      for (let i = 0; i < 200 && (await numsub(redis.port, channel)) < 1; i++) await sleep(25);
    }
    await publisher.publishMany(1, 0); // the stream exists: every round starts from a real offset and epoch
    const times = [];
    let seq = 1;
    for (let rep = 0; rep <= REPS; rep++) {
      const ms = await round(subscribeTo.url, publisher, seq);
      seq += MISSED;
      if (rep > 0) times.push(ms.total); // round 0 is the warm-up
      console.log(
        `${setup}: ${rep === 0 ? 'warm-up' : `rep ${rep}/${REPS}`} ${ms.total.toFixed(1)} ms ` +
          `(subscribed reply at ${ms.reply.toFixed(1)} ms, first frame at ${ms.first.toFixed(1)} ms)`,
      );
    }
    publisher.close();
    return times;
  } finally {
    await Promise.all(apps.map(stopApp));
  }
}

async function main() {
  if (!args.includes('--no-build')) {
    console.log('building dist/lib (npx tsc -p tsconfig.build.json)…');
    execFileSync('npx', ['tsc', '-p', 'tsconfig.build.json'], { cwd: root, stdio: 'inherit' });
  }
  const redis = SETUPS.includes('redis') ? await startRedis() : undefined;
  const rows = [];
  for (const setup of SETUPS) {
    const times = await measure(setup, redis);
    rows.push(
      `| ${setup === 'redis' ? 'Redis (2 instances: published on B, recovered on A)' : 'memory (1 instance)'} | ` +
        `${MISSED} | ${median(times).toFixed(1)} | ${Math.min(...times).toFixed(1)}–${Math.max(...times).toFixed(1)} | ${times.length} |`,
    );
  }
  redis?.child.kill('SIGTERM');
  console.log(
    [
      '',
      `node ${args.length ? `bench/scale/recovery.mjs ${args.join(' ')}` : 'bench/scale/recovery.mjs'}: Node ${process.version}${redis ? `, ${redis.version.split(' ').slice(0, 3).join(' ')}` : ''}`,
      '',
      '| store | missed publications | recover → last replayed frame, ms (median) | range | repetitions |',
      '|---|---:|---:|---|---:|',
      ...rows,
    ].join('\n'),
  );
}

main().then(
  () => process.exit(0),
  (error) => {
    console.error(error);
    process.exit(1);
  },
);
