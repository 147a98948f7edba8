// What a module option adds per action, in-process (as bench/frame-path.mjs: frames straight into the
// bench app's InboundQueue, on a stub socket that measures each frame as ws would, no network): the
// bench app without the option, and with it, each in a process of its own, interleaved rep by rep
// (paired). CPU ns per `add` action frame, median and range of --reps; the option's cost is the median
// of the paired differences, with their range.
//
//   npx tsc -p tsconfig.bench.json && node bench/option-cost.mjs metrics|tracing [--frames 200000] [--reps 9]
//
// `metrics`: `metrics: true` (counted, never scraped). `tracing`: two phases, first with
// @opentelemetry/api alone (no SDK registered: the spans are the API's non-recording ones), then with
// an SDK registered (a BasicTracerProvider whose spans are recorded and dropped: no exporter, so the
// export's own cost, which is the app's choice, is left out).
//
// Why two processes: both apps in one process run the same library functions, which V8 then compiles
// for both (a field `null` in one app and an object in the other), and the option's absence is no
// longer measured as it runs for a user. That made `metrics: true` look 15 times dearer (+622 ns a
// frame against +40 ns measured apart).
import { fork } from 'node:child_process';
import { fileURLToPath } from 'node:url';

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

if (args.variant) await serveVariant(args.variant === 'on');
else await compare();

/** The parent: one child per variant, asked for a rep in turn. */
async function compare() {
  const off = variantProcess('off');
  const on = variantProcess('on');
  let phases = 1;
  if (option === 'metrics') {
    await phase('metrics: true', off, on);
  } else {
    await phase('API only, no SDK', off, on);
    await Promise.all([off.ask({ sdk: true }), on.ask({ sdk: true })]);
    await phase('SDK, spans recorded and dropped', off, on);
    phases = 2;
  }
  const expected = FRAMES * (REPS + 1) * phases;
  for (const variant of [off, on]) {
    const { sent } = await variant.ask({ sent: true });
    if (sent !== expected) throw new Error(`expected ${expected} replies from ${variant.name}, got ${sent}`);
    variant.child.kill();
  }
}

async function phase(name, off, on) {
  // Warm-up: every function optimized in both.
  await off.run();
  await on.run();
  const offs = [];
  const ons = [];
  for (let r = 0; r < REPS; r++) {
    // Alternating which goes first, so that neither always runs on a warmer (or busier) machine.
    if (r % 2 === 0) {
      offs.push(await off.run());
      ons.push(await on.run());
    } else {
      ons.push(await on.run());
      offs.push(await off.run());
    }
  }
  const differences = ons.map((value, i) => value - offs[i]);
  console.log(
    `${name}: off ${Math.round(median(offs))} ns/frame [${range(offs)}], on ${Math.round(median(ons))} [${range(ons)}]; ` +
      `${option} adds ${Math.round(median(differences))} ns/frame (paired differences ${range(differences)}; ${REPS} reps × ${FRAMES} frames)`,
  );
}

/** A child process serving one variant: `ask` sends it a request and resolves with its answer. */
function variantProcess(name) {
  const child = fork(fileURLToPath(import.meta.url), [option, '--variant', name, '--frames', String(FRAMES)], {
    stdio: 'inherit',
  });
  const answers = [];
  child.on('message', (answer) => answers.shift()(answer));
  child.on('exit', (code) => {
    if (code !== 0 && code !== null) throw new Error(`the ${name} variant exited with ${code}`);
  });
  const ask = (request) =>
    new Promise((resolve) => {
      answers.push(resolve);
      child.send(request);
    });
  return { name, child, ask, run: async () => (await ask({ run: true })).nsPerFrame };
}

/** A child: the bench app with the option `on` or off, running frames through its queue when asked. */
async function serveVariant(on) {
  await import('reflect-metadata');
  const { Module } = await import('@nestjs/common');
  const { NestFactory } = await import('@nestjs/core');
  const { SocketApiModule } = await import('../dist/lib/index.js');
  const { InboundQueue } = await import('../dist/lib/gateway/inbound-queue.js');
  const { SOCKET_API_METRICS } = await import('../dist/lib/metrics/socket-api-metrics.js');
  const { BenchService } = await import('../dist/bench/app/bench.service.js');
  const { framesOf, stubConnection } = await import('./lib/frame-feed.mjs');

  class BenchModule {}
  Module({ imports: [SocketApiModule.forRoot({ [option]: on })], providers: [BenchService] })(BenchModule);
  const app = await NestFactory.create(BenchModule, { logger: ['error', 'warn'] });
  await app.init();
  const queue = app.get(InboundQueue);
  const { connection, replies } = stubConnection(app.get(SOCKET_API_METRICS));
  const frames = framesOf('{"type":"action","channel":"add","data":{"a":$A,"b":7},"id":$ID}');

  process.on('message', async (request) => {
    if (request.run) {
      const before = process.cpuUsage();
      for (let i = 0; i < FRAMES; i++) queue.receive(connection, frames[i & 4095], false);
      const used = process.cpuUsage(before);
      process.send({ nsPerFrame: ((used.user + used.system) * 1000) / FRAMES });
    } else if (request.sdk) {
      const { trace } = await import('@opentelemetry/api');
      const { BasicTracerProvider } = await import('@opentelemetry/sdk-trace-base');
      trace.setGlobalTracerProvider(new BasicTracerProvider());
      process.send({});
    } else if (request.sent) {
      process.send({ sent: replies.sent });
    }
  });
}

function median(values) {
  return [...values].sort((a, b) => a - b)[values.length >> 1];
}

function range(values) {
  return `${Math.round(Math.min(...values))} – ${Math.round(Math.max(...values))}`;
}
