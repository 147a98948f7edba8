// Load-independent profiling of the RPC path: a FIXED number of `add` requests against one server,
// so that what is measured does not depend on how busy the machine is. Not part of `npm run bench`.
//
//   node bench/profile.mjs [options]
//     --server socketapi|raw-ws   which server (default socketapi; raw-ws is the bench's reference)
//     --root DIR                  checkout whose built bench app to run (default: this one; build it
//                                 first with `npx tsc -p tsconfig.bench.json`)
//     --conns C --inflight W      C connections, each keeping W requests outstanding (default 50 × 1)
//     --warmup N --requests N     requests before the measured window (JIT warm-up), and in it
//                                 (defaults 20000 and 20000)
//     --tool cpu|cpuprof|callgrind
//        cpu        server CPU (utime+stime from /proc) ÷ requests in the window (default)
//        cpuprof    the same, plus V8's sampling profiler (every 100 µs) over the window only
//                   (bench/lib/profiler-probe.cjs): self time per function, printed as a table;
//                   the .cpuprofile is kept in --out (open it in Chrome DevTools)
//        callgrind  the server runs under `valgrind --tool=callgrind` with instrumentation off until
//                   the warm-up is over (`callgrind_control -i on`); the window's instructions are
//                   dumped (`callgrind_control -d`) and printed as Ir per request: repeatable
//                   whatever the load. User-space only (no kernel time). ~50× slower.
//     --node-flags "…"           extra flags for the server's node (e.g. "--trace-deopt")
//     --jit-names yes             callgrind: name JIT code after its JS functions (node --perf-basic-prof).
//                                 Only for reading the table: V8's code log adds ~20k Ir per request
//                                 (object-literal and map-migration runtime calls), so totals are
//                                 compared without it
//     --top N                     rows of the cpuprof table (default 25)
//     --summarize FILE            only print the table of a callgrind dump (give its --requests)
//     --out DIR                   where profiles go (default bench/results/profile)
//
// Prints one `PROFILE {json}` line; runs the load in this process with the load generator's client
// (bench/lib/clients.mjs), so the client side is exactly the benchmark's.
import { execFileSync, spawn } from 'node:child_process';
import fs from 'node:fs';
import net from 'node:net';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { adapters } from './lib/clients.mjs';
import { summarizeCallgrind } from './lib/callgrind.mjs';
import { processCpu } from './lib/procstat.mjs';

const BENCH = path.dirname(fileURLToPath(import.meta.url));
const SCRIPTS = { socketapi: 'dist/bench/app/main.js', 'raw-ws': 'bench/servers/raw-ws.mjs' };
const CLK_TCK = Number(execFileSync('getconf', ['CLK_TCK'], { encoding: 'utf8' }).trim()) || 100;

const opts = parseArgs(process.argv.slice(2));

function parseArgs(argv) {
  const o = {
    server: 'socketapi',
    root: path.resolve(BENCH, '..'),
    conns: 50,
    inflight: 1,
    warmup: 20000,
    requests: 20000,
    tool: 'cpu',
    'node-flags': '',
    'jit-names': '',
    top: 25,
    summarize: '',
    out: path.join(BENCH, 'results', 'profile'),
  };
  for (let i = 0; i < argv.length; i += 2) {
    const key = argv[i].replace(/^--/, '');
    if (!(key in o)) throw new Error(`unknown option ${argv[i]}`);
    o[key] = typeof o[key] === 'number' ? Number(argv[i + 1]) : argv[i + 1];
  }
  if (!SCRIPTS[o.server]) throw new Error(`--server must be one of ${Object.keys(SCRIPTS).join(', ')}`);
  o.root = path.resolve(o.root);
  return o;
}

function freePort() {
  return new Promise((resolve, reject) => {
    const srv = net.createServer();
    srv.listen(0, '127.0.0.1', () => {
      const { port } = srv.address();
      srv.close(() => resolve(port));
    });
    srv.on('error', reject);
  });
}

async function startServer(port) {
  const script = path.join(opts.root, SCRIPTS[opts.server]);
  const node = opts['node-flags'].split(' ').filter(Boolean);
  let cmd = process.execPath;
  const stamp = `${opts.server}-c${opts.conns}-w${opts.inflight}-${process.pid}`;
  if (opts.tool === 'cpuprof') node.push('--require', path.join(BENCH, 'lib', 'profiler-probe.cjs'));
  let args = [...node, script];
  if (opts.tool === 'callgrind') {
    cmd = 'valgrind';
    // --perf-basic-prof: V8 writes where JIT code lives, so that the table names JS functions.
    const names = opts['jit-names']
      ? ['--perf-basic-prof', '--no-logfile-per-isolate', `--logfile=${path.join(opts.out, `${stamp}.v8.log`)}`]
      : [];
    args = [
      '--tool=callgrind',
      '--instr-atstart=no',
      `--callgrind-out-file=${path.join(opts.out, `${stamp}.callgrind`)}`,
      process.execPath,
      ...names,
      ...args,
    ];
  }
  fs.mkdirSync(opts.out, { recursive: true });
  const child = spawn(cmd, args, {
    cwd: opts.root,
    env: { ...process.env, PORT: String(port) } /* both servers listen on 127.0.0.1 by default */,
    stdio: ['ignore', 'pipe', 'inherit', 'ipc'],
  });
  await new Promise((resolve, reject) => {
    let seen = '';
    child.stdout.on('data', (chunk) => {
      // After the server's first line, what it prints (e.g. --trace-deopt) goes to stderr.
      if (seen.includes('listening')) return process.stderr.write(chunk);
      seen += chunk;
      if (seen.includes('listening')) resolve();
    });
    child.once('exit', (code) => reject(new Error(`server exited (${code}) before listening`)));
  });
  return { child, stamp };
}

/** Exactly `count` requests, `inflight` outstanding per connection; resolves when all are answered. */
function load(conns, count) {
  return new Promise((resolve, reject) => {
    let issued = 0;
    let answered = 0;
    const issue = (c) => {
      if (issued === count) return;
      const a = issued++ & 1023;
      c.add(a, 7, (err, v) => {
        if (err || v !== a + 7) return reject(new Error(`bad reply ${JSON.stringify(err ?? v)}`));
        if (++answered === count) return resolve();
        issue(c);
      });
    };
    for (const c of conns) for (let k = 0; k < opts.inflight; k++) issue(c);
  });
}

/** Sends one message to the server's profiler probe and waits for its answer. */
function askProfiler(child, msg) {
  return new Promise((resolve) => {
    const onMessage = (answer) => {
      if (!answer || answer.profiler === undefined) return;
      child.off('message', onMessage);
      resolve(answer);
    };
    child.on('message', onMessage);
    child.send(msg);
  });
}

/** Self time per function (samples where it is on top), as shares of the profile's samples. */
function summarizeProfile(file) {
  const profile = JSON.parse(fs.readFileSync(file, 'utf8'));
  const byId = new Map(profile.nodes.map((n) => [n.id, n]));
  const self = new Map();
  let total = 0;
  for (const id of profile.samples) {
    const { callFrame } = byId.get(id);
    const where = callFrame.url ? `${path.basename(callFrame.url)}:${callFrame.lineNumber + 1}` : '';
    const key = `${callFrame.functionName || '(anonymous)'} ${where}`.trim();
    self.set(key, (self.get(key) ?? 0) + 1);
    total++;
  }
  const rows = [...self].sort((a, b) => b[1] - a[1]).slice(0, opts.top);
  return { samples: total, top: rows.map(([fn, n]) => ({ fn, pct: Math.round((1000 * n) / total) / 10 })) };
}

async function main() {
  const port = await freePort();
  const { child, stamp } = await startServer(port);
  const url = `ws://127.0.0.1:${port}/`;
  const conns = [];
  for (let i = 0; i < opts.conns; i++) conns.push(await adapters.socketapi(url));
  await load(conns, opts.warmup);
  if (opts.tool === 'callgrind')
    execFileSync('callgrind_control', ['-i', 'on', String(child.pid)], { stdio: ['ignore', 'ignore', 'inherit'] });
  if (opts.tool === 'cpuprof') await askProfiler(child, { profiler: 'start', intervalUs: 100 });
  const cpu0 = processCpu(child.pid, CLK_TCK);
  await load(conns, opts.requests);
  const cpu1 = processCpu(child.pid, CLK_TCK);
  const result = {
    server: opts.server,
    root: opts.root,
    conns: opts.conns,
    inflight: opts.inflight,
    requests: opts.requests,
    tool: opts.tool,
  };
  result.cpuUsPerReq = Math.round((((cpu1.user + cpu1.sys - cpu0.user - cpu0.sys) * 1e6) / opts.requests) * 100) / 100;
  result.userUsPerReq = Math.round((((cpu1.user - cpu0.user) * 1e6) / opts.requests) * 100) / 100;
  if (opts.tool === 'callgrind') {
    execFileSync('callgrind_control', ['-d', 'window', String(child.pid)], { stdio: ['ignore', 'ignore', 'inherit'] });
    execFileSync('callgrind_control', ['-i', 'off', String(child.pid)], { stdio: ['ignore', 'ignore', 'inherit'] });
  }
  if (opts.tool === 'cpuprof') {
    const { file } = await askProfiler(child, { profiler: 'stop', file: path.join(opts.out, `${stamp}.cpuprofile`) });
    Object.assign(result, summarizeProfile(file));
    result.cpuprofile = file;
  }
  for (const c of conns) c.abort();
  child.kill('SIGKILL');
  await new Promise((resolve) => child.once('exit', resolve));
  if (opts.tool === 'callgrind') {
    const dumps = fs
      .readdirSync(opts.out)
      .filter((f) => f.startsWith(`${stamp}.callgrind`) && f !== `${stamp}.callgrind`);
    // The dump of the window is the first one (`.1`, plus one per thread with --separate-threads).
    const file = path.join(opts.out, dumps.sort()[0]);
    const summary = fs.readFileSync(file, 'utf8').match(/^summary: (\d+)/m);
    result.irPerReq = Math.round(Number(summary[1]) / opts.requests);
    Object.assign(result, summarizeCallgrind(file, opts.requests, opts.top, `/tmp/perf-${child.pid}.map`));
    fs.rmSync(`/tmp/perf-${child.pid}.map`, { force: true });
    fs.rmSync(path.join(opts.out, `${stamp}.v8.log`), { force: true });
    result.callgrindFile = file;
  }
  console.log('PROFILE ' + JSON.stringify(result));
}

if (opts.summarize) console.log(JSON.stringify(summarizeCallgrind(opts.summarize, opts.requests, opts.top), null, 1));
else await main();
process.exit(0);
