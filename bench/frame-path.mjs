// The library's own cost for one frame, in-process: the bench app's module (as `npm run bench`
// serves it) gets frames straight into its InboundQueue, on a stub socket, with no network,
// no `ws` and no load generator. What remains is exactly what the library adds per frame over
// raw `ws` (parse, route, validate, run, serialize the reply). CPU ns per frame, median of --reps.
//
//   npx tsc -p tsconfig.bench.json && node bench/frame-path.mjs [--frames 300000] [--reps 7]
//   node bench/frame-path.mjs --callgrind 20000     instructions per frame instead (repeatable
//        whatever the load): runs itself under `valgrind --tool=callgrind`, instrumented only
//        while it handles 20000 frames after the warm-up; prints where they go. `--jit-names yes`
//        names JIT code after its JS functions (node --perf-basic-prof; V8's code log then adds
//        instructions of its own: compare totals without it).
//
// `--frame '<json with $ID and $A>'` replaces the default `add` request. `--metrics on`: the module
// with `metrics: true` (what the Prometheus metrics add per frame; they are not scraped). `--tracing on`
// turns the module's `tracing` on (with @opentelemetry/api alone, no SDK: the spans are non-recording).
import 'reflect-metadata';
import { execFileSync, spawn } from 'node:child_process';
import fs from 'node:fs';
import path from 'node:path';
import readline from 'node:readline';
import { fileURLToPath } from 'node:url';
import { Module } from '@nestjs/common';
import { NestFactory } from '@nestjs/core';
import { SocketApiModule } from '../dist/lib/index.js';
import { InboundQueue } from '../dist/lib/gateway/inbound-queue.js';
import { SOCKET_API_METRICS } from '../dist/lib/metrics/socket-api-metrics.js';
import { BenchService } from '../dist/bench/app/bench.service.js';
import { framesOf, stubConnection } from './lib/frame-feed.mjs';

const args = Object.fromEntries(
  process.argv
    .slice(2)
    .reduce((pairs, arg, i, all) => (i % 2 === 0 ? [...pairs, [arg.replace(/^--/, ''), all[i + 1]]] : pairs), []),
);
const FRAMES = Number(args.frames ?? 300000);
const REPS = Number(args.reps ?? 7);
const TEMPLATE = args.frame ?? '{"type":"action","channel":"add","data":{"a":$A,"b":7},"id":$ID}';
const METRICS = args.metrics === 'on';

if (args.callgrind) {
  await underCallgrind(Number(args.callgrind));
  process.exit(0);
}

class BenchModule {}
Module({
  imports: [SocketApiModule.forRoot({ metrics: METRICS, tracing: args.tracing === 'on' })],
  providers: [BenchService],
})(BenchModule);
const app = await NestFactory.create(BenchModule, { logger: ['error', 'warn'] });
await app.init();
const queue = app.get(InboundQueue);

const { connection, replies } = stubConnection(app.get(SOCKET_API_METRICS));
const frames = framesOf(TEMPLATE);

function run(count) {
  for (let i = 0; i < count; i++) queue.receive(connection, frames[i & 4095], false);
}

run(FRAMES); // warm-up: every function optimized
if (args.step) {
  // Under callgrind (see underCallgrind): handle frames between the parent's go-aheads.
  const lines = readline.createInterface({ input: process.stdin })[Symbol.asyncIterator]();
  // A full collection first: the window then pays its own garbage, not the start-up's.
  globalThis.gc();
  console.log('WARM');
  await lines.next();
  run(Number(args.step));
  console.log('DONE');
  await lines.next();
  process.exit(0);
}
const results = [];
for (let r = 0; r < REPS; r++) {
  const before = process.cpuUsage();
  run(FRAMES);
  const used = process.cpuUsage(before);
  results.push(((used.user + used.system) * 1000) / FRAMES);
}
results.sort((a, b) => a - b);
if (replies.sent !== FRAMES * (REPS + 1)) {
  throw new Error(`expected ${FRAMES * (REPS + 1)} replies, got ${replies.sent}`);
}
const fmt = (x) => Math.round(x);
console.log(
  `FRAME ns/frame median ${fmt(results[REPS >> 1])} [${fmt(results[0])} – ${fmt(results[REPS - 1])}] (${REPS} reps × ${FRAMES} frames)`,
);
await app.close();

/** Runs this script under callgrind, instrumented for `count` frames after the warm-up only. */
async function underCallgrind(count) {
  const { summarizeCallgrind } = await import('./lib/callgrind.mjs');
  const out = path.join(path.dirname(fileURLToPath(import.meta.url)), 'results', 'profile');
  fs.mkdirSync(out, { recursive: true });
  const file = path.join(out, `frame-path-${process.pid}.callgrind`);
  const forwarded = [
    '--frames',
    String(FRAMES),
    ...(args.frame ? ['--frame', args.frame] : []),
    ...(METRICS ? ['--metrics', 'on'] : []),
    ...(args.tracing ? ['--tracing', args.tracing] : []),
  ];
  const child = spawn(
    'valgrind',
    [
      '--tool=callgrind',
      '--instr-atstart=no',
      `--callgrind-out-file=${file}`,
      process.execPath,
      ...(args['jit-names'] ? ['--perf-basic-prof', '--no-logfile-per-isolate', `--logfile=${file}.v8.log`] : []),
      '--expose-gc',
      fileURLToPath(import.meta.url),
      ...forwarded,
      '--step',
      String(count),
    ],
    { stdio: ['pipe', 'pipe', 'ignore'] },
  );
  const lines = readline.createInterface({ input: child.stdout })[Symbol.asyncIterator]();
  const expect = async (word) => {
    for (let line = await lines.next(); !line.done; line = await lines.next()) if (line.value === word) return;
    throw new Error(`frame-path under callgrind ended before ${word}`);
  };
  const control = (...argv) => execFileSync('callgrind_control', [...argv, String(child.pid)], { stdio: 'ignore' });
  await expect('WARM');
  control('-i', 'on');
  child.stdin.write('go\n');
  await expect('DONE');
  control('-d', 'frames');
  child.kill('SIGKILL');
  const summary = summarizeCallgrind(`${file}.1`, count, Number(args.top ?? 30), `/tmp/perf-${child.pid}.map`);
  fs.rmSync(`/tmp/perf-${child.pid}.map`, { force: true });
  fs.rmSync(`${file}.v8.log`, { force: true });
  const total = Number(fs.readFileSync(`${file}.1`, 'utf8').match(/^summary: (\d+)/m)[1]);
  console.log(`FRAME Ir/frame ${Math.round(total / count)} (${count} frames, ${file}.1)`);
  for (const [kind, ir] of Object.entries(summary.byKind)) console.log(`  ${String(ir).padStart(7)}  ${kind}`);
  console.log('  top functions (self):');
  for (const { fn, ir } of summary.top) console.log(`  ${String(ir).padStart(7)}  ${fn}`);
}
