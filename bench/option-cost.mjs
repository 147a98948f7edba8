// What a module option adds per action, in-process (as bench/frame-path.mjs: frames straight into the
// bench app's InboundQueue, on a stub socket that measures each frame as ws would, no network): the
// bench app without the option, and with it, in one process, interleaved rep by rep (paired). CPU ns
// per `add` action frame, median and range of --reps; the option's cost is the median of the paired
// differences, with their range.
//
//   npx tsc -p tsconfig.bench.json && node bench/option-cost.mjs metrics|tracing [--frames 200000] [--reps 9]
//
// `metrics`: `metrics: true` (counted, never scraped). `tracing`: two phases, first with
// @opentelemetry/api alone (no SDK registered: the spans are the API's non-recording ones), then with
// an SDK registered (a BasicTracerProvider whose spans are recorded and dropped: no exporter, so the
// export's own cost, which is the app's choice, is left out).
import 'reflect-metadata';
import { Module } from '@nestjs/common';
import { NestFactory } from '@nestjs/core';
import { trace } from '@opentelemetry/api';
import { BasicTracerProvider } from '@opentelemetry/sdk-trace-base';
import { SocketApiModule } from '../dist/lib/index.js';
import { InboundQueue } from '../dist/lib/gateway/inbound-queue.js';
import { SOCKET_API_METRICS } from '../dist/lib/metrics/socket-api-metrics.js';
import { BenchService } from '../dist/bench/app/bench.service.js';
import { framesOf, stubConnection } from './lib/frame-feed.mjs';

const [option, ...rest] = process.argv.slice(2);
const args = Object.fromEntries(
  rest.reduce((pairs, arg, i, all) => (i % 2 === 0 ? [...pairs, [arg.replace(/^--/, ''), all[i + 1]]] : pairs), []),
);
const FRAMES = Number(args.frames ?? 200_000);
const REPS = Number(args.reps ?? 9);
if (option !== 'metrics' && option !== 'tracing') {
  console.error('usage: node bench/option-cost.mjs metrics|tracing [--frames N] [--reps N]');
  process.exit(2);
}

const frames = framesOf('{"type":"action","channel":"add","data":{"a":$A,"b":7},"id":$ID}');
const fed = [];

/** The bench app with `option` on or off, and a runner of `count` frames through its queue. */
async function variant(on) {
  class BenchModule {}
  Module({ imports: [SocketApiModule.forRoot({ [option]: on })], providers: [BenchService] })(BenchModule);
  const app = await NestFactory.create(BenchModule, { logger: ['error', 'warn'] });
  await app.init();
  const queue = app.get(InboundQueue);
  const { connection, replies } = stubConnection(app.get(SOCKET_API_METRICS));
  fed.push(replies);
  return (count) => {
    for (let i = 0; i < count; i++) queue.receive(connection, frames[i & 4095], false);
  };
}

function cpuNsPerFrame(run) {
  const before = process.cpuUsage();
  run(FRAMES);
  const used = process.cpuUsage(before);
  return ((used.user + used.system) * 1000) / FRAMES;
}

const median = (values) => [...values].sort((a, b) => a - b)[values.length >> 1];
const range = (values) => `${Math.round(Math.min(...values))} – ${Math.round(Math.max(...values))}`;

function phase(name, off, on) {
  off(FRAMES);
  on(FRAMES); // warm-up: every function optimized
  const offs = [];
  const ons = [];
  for (let r = 0; r < REPS; r++) {
    // Alternating which goes first, so that neither always runs on a warmer (or busier) machine.
    if (r % 2 === 0) {
      offs.push(cpuNsPerFrame(off));
      ons.push(cpuNsPerFrame(on));
    } else {
      ons.push(cpuNsPerFrame(on));
      offs.push(cpuNsPerFrame(off));
    }
  }
  const differences = ons.map((value, i) => value - offs[i]);
  console.log(
    `${name}: off ${Math.round(median(offs))} ns/frame [${range(offs)}], on ${Math.round(median(ons))} [${range(ons)}]; ` +
      `${option} adds ${Math.round(median(differences))} ns/frame (paired differences ${range(differences)}; ${REPS} reps × ${FRAMES} frames)`,
  );
}

const off = await variant(false);
const on = await variant(true);
let phases = 1;
if (option === 'metrics') {
  phase('metrics: true', off, on);
} else {
  phase('API only, no SDK', off, on);
  trace.setGlobalTracerProvider(new BasicTracerProvider());
  phase('SDK, spans recorded and dropped', off, on);
  phases = 2;
}
const expected = FRAMES * 2 * (REPS + 1) * phases;
const sent = fed.reduce((sum, replies) => sum + replies.sent, 0);
if (sent !== expected) throw new Error(`expected ${expected} replies, got ${sent}`);
process.exit(0);
