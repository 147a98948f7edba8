#!/usr/bin/env node
// Where the publishing instance's time goes, plain `chat` against `chat_history`, through Redis: apps A and B
// on a private redis-server, 10 subscribers on A, a client on B keeping 32 publications not yet at every
// subscriber, `--publications` (15000) per round; V8's sampling profiler (bench/lib/profiler-probe.cjs) runs
// in B during each round only. Prints, per publication, the functions whose self time differs most between
// the channels (wall-clock samples: on a shared machine, time B waits in a syscall counts where it waits).
//
//   npx tsc -p tsconfig.build.json && node bench/scale/profile-publisher.mjs [--publications 15000] [--rounds 2]
import { spawn } from 'node:child_process';
import { mkdtempSync, readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { numsub, open, sleep, startApp, startRedis, stopApp } from './processes.mjs';

const here = dirname(fileURLToPath(import.meta.url));
const args = process.argv.slice(2);
const option = (name, fallback) => {
  const index = args.indexOf(`--${name}`);
  return index === -1 ? fallback : args[index + 1];
};
const PUBLICATIONS = Number(option('publications', 15_000));
const ROUNDS = Number(option('rounds', 2));
const SUBSCRIBERS = 10;
const WINDOW = 32;
const ACTION = { chat: 'publish', chat_history: 'publish_history' };

/** Instance B with the profiler probe and an IPC channel to drive it. */
function startProfiledApp(env) {
  return new Promise((resolveApp, reject) => {
    const child = spawn(
      process.execPath,
      ['--require', resolve(here, '../lib/profiler-probe.cjs'), join(here, 'app.mjs')],
      {
        cwd: resolve(here, '../..'),
        env: { ...process.env, PORT: '0', NODE_OPTIONS: '', ...env },
        stdio: ['ignore', 'pipe', 'inherit', 'ipc'],
      },
    );
    let output = '';
    child.stdout.on('data', (chunk) => {
      output += chunk;
      const match = /READY (\d+)/.exec(output);
      if (match) resolveApp({ name: 'B', child, url: `ws://127.0.0.1:${match[1]}/` });
    });
    child.once('exit', (code) => reject(new Error(`B exited (${code})`)));
  });
}

const ask = (child, message, answer) =>
  new Promise((resolveAnswer) => {
    const onMessage = (reply) => {
      if (reply?.profiler !== answer) return;
      child.off('message', onMessage);
      resolveAnswer(reply);
    };
    child.on('message', onMessage);
    child.send(message);
  });

/** Self time (µs) per function of a .cpuprofile. */
function selfTimes(file) {
  const profile = JSON.parse(readFileSync(file, 'utf8'));
  const nodes = new Map(profile.nodes.map((node) => [node.id, node]));
  const times = new Map();
  profile.samples.forEach((id, i) => {
    const { functionName, url, lineNumber } = nodes.get(id).callFrame;
    const key = `${functionName || '(anonymous)'} ${url.split('/').pop()}:${lineNumber + 1}`;
    times.set(key, (times.get(key) ?? 0) + profile.timeDeltas[i]);
  });
  return times;
}

const redis = await startRedis();
const prefix = `profile${Date.now()}`;
const env = { REDIS_URL: redis.url, REDIS_PREFIX: prefix };
const a = await startApp('A', env);
const b = await startProfiledApp(env);
const dir = mkdtempSync(join(tmpdir(), 'socketapi-profile-'));
const totals = { chat: new Map(), chat_history: new Map() };
for (let round = 0; round < ROUNDS; round++) {
  for (const channel of ['chat', 'chat_history']) {
    let delivered = 0;
    const subscribers = [];
    for (let i = 0; i < SUBSCRIBERS; i++) {
      const socket = await open(a.url);
      await new Promise((subscribed) => {
        socket.on('message', (raw) => {
          const text = raw.toString();
          if (text.startsWith('{"type":"subscribed"')) subscribed();
          else if (text.startsWith('{"type":"data"')) delivered++;
        });
        socket.send(`{"type":"subscribe","channel":"${channel}"}`);
      });
      subscribers.push(socket);
    }
    for (let i = 0; i < 200 && (await numsub(redis.port, `${prefix}:${channel}`)) < 1; i++) await sleep(25);
    const publisher = await open(b.url);
    const complete = () => Math.floor(delivered / SUBSCRIBERS);
    let sent = 0;
    await ask(b.child, { profiler: 'start', intervalUs: 100 }, 'started');
    const start = performance.now();
    await new Promise((done) => {
      const pump = () => {
        if (complete() >= PUBLICATIONS) return done();
        while (sent < PUBLICATIONS && sent - complete() < WINDOW) {
          publisher.send(`{"type":"action","channel":"${ACTION[channel]}","data":{"seq":${sent++},"t":1}}`);
        }
        setImmediate(pump);
      };
      pump();
    });
    const seconds = (performance.now() - start) / 1000;
    const file = join(dir, `B-${channel}-${round}.cpuprofile`);
    await ask(b.child, { profiler: 'stop', file }, 'stopped');
    for (const [key, us] of selfTimes(file)) totals[channel].set(key, (totals[channel].get(key) ?? 0) + us);
    console.log(`round ${round + 1} ${channel}: ${Math.round(PUBLICATIONS / seconds)} publications/s (${file})`);
    publisher.terminate();
    for (const socket of subscribers) socket.terminate();
    await sleep(300);
  }
}
await stopApp(a);
b.child.kill('SIGKILL');
redis.child.kill('SIGTERM');

const per = (channel, key) => (totals[channel].get(key) ?? 0) / (PUBLICATIONS * ROUNDS);
const keys = [...new Set([...totals.chat.keys(), ...totals.chat_history.keys()])];
keys.sort(
  (x, y) => Math.abs(per('chat_history', y) - per('chat', y)) - Math.abs(per('chat_history', x) - per('chat', x)),
);
console.log('\n| function (self time) | chat µs/publication | chat_history µs/publication | difference |');
console.log('|---|---:|---:|---:|');
for (const key of keys.slice(0, 15)) {
  const plain = per('chat', key);
  const history = per('chat_history', key);
  console.log(`| ${key} | ${plain.toFixed(2)} | ${history.toFixed(2)} | ${(history - plain).toFixed(2)} |`);
}
process.exit(0);
