// `npm run bench`: runs the benchmark suite and writes bench/results/<timestamp>/{report.md,
// results.json,chart.svg,servers.log}, then copies report and chart to bench/report.md, bench/chart.svg.
//
//   node bench/run.mjs [options]          (build first: npm run bench does)
//     --reps N             repetitions of every (scenario, server) pair (default 3; 1 with --quick)
//     --quick              ~2.5 min subset: rpc-c50-w16, rpc-c1-w1, client-c1-w16, client-c50-w16, fanout-1k, idle-2k
//     --only a,b           servers to run (socketapi, socketapi-metrics, raw-ws, nest-gateway, socketio); raw-ws is always added;
//                          the client-* scenarios run when socketapi is among them
//     --scenarios p,...    scenarios whose name starts with one of the prefixes (rpc, rpc-c50, client, fanout-10k, idle…)
//     --no-pin             do not pin server / load generator to CPU 1 / CPU 0 with taskset
//     --max-wait S         wait at most S s (default 60) for other processes to go quiet before a measurement
//     --no-retry           do not measure again when other processes were busy during a measurement
//     --baseline DIR       also measure the bench app built in another checkout DIR (e.g. a git worktree of an
//                          older commit, after `npm ci && npx tsc -p tsconfig.bench.json` there), as server
//                          socketapi-baseline: before/after in the same paired repetitions
//     --out DIR  --verbose  --list  --report DIR (re-render report.md and chart.svg of a past run)
//
// Every measurement gets a fresh server process (its own process group, pinned to CPU 1) and a
// fresh load-generator process (pinned to CPU 0). Repetitions are interleaved: repetition r runs
// every scenario, and within a scenario every server, in an order rotated by r. Ratios to raw-ws
// are taken within each repetition; the report shows medians over repetitions. The client-* scenarios
// compare clients instead of servers: the project's client vs the hand-written ws adapter, both driving
// the socketapi server, interleaved and paired the same way (the hand-written client is their reference).
import { execFileSync, spawn, spawnSync } from 'node:child_process';
import fs from 'node:fs';
import net from 'node:net';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { HAND_WRITTEN, LIBRARY_CLIENT, PLAIN_WS } from './lib/client-names.mjs';
import { foreignCpu } from './lib/procstat.mjs';
import { BUSY_PCT, renderChart, renderReport, summarize } from './lib/report.mjs';

const BENCH = path.dirname(fileURLToPath(import.meta.url));
const ROOT = path.resolve(BENCH, '..');
const PROBE = path.join(BENCH, 'lib', 'probe.cjs');
const LOADGEN = path.join(BENCH, 'loadgen.mjs');
const HOST = '127.0.0.1';
const REF = 'raw-ws';

// ------------------------------------------------------------------------------------ servers
const SERVERS = [
  {
    name: 'socketapi',
    proto: 'socketapi',
    script: 'dist/bench/app/main.js',
    build: 'npx tsc -p tsconfig.bench.json',
    what: 'this library: bench/app (SocketApiModule, validated `add` action, `chat` channel)',
  },
  {
    name: 'socketapi-metrics',
    proto: 'socketapi',
    script: 'dist/bench/app/main.js',
    env: { BENCH_METRICS: '1' },
    // Only with --only: a default run measures each library once.
    optIn: true,
    build: 'npx tsc -p tsconfig.bench.json',
    what: 'the socketapi bench app with `metrics: true` (Prometheus metrics on, not scraped): their cost',
  },
  {
    name: 'raw-ws',
    proto: 'socketapi',
    script: 'bench/servers/raw-ws.mjs',
    what: 'hand-written SocketAPI protocol on `ws` (reference: the physical limit of Node + ws)',
  },
  {
    name: 'nest-gateway',
    proto: 'nest',
    script: 'dist/bench/servers/nest-gateway/main.js',
    build: 'npx tsc -p bench/tsconfig.json',
    what: 'Nest `@WebSocketGateway()` on `@nestjs/platform-ws` WsAdapter, class-validator DTO + ValidationPipe, `{event,data}` protocol',
  },
  {
    name: 'socketio',
    proto: 'socketio',
    script: 'bench/servers/socketio.mjs',
    what: 'plain Socket.IO 4 (rooms + acks), websocket transport only',
  },
];

// ------------------------------------------------------------------------------------ scenarios
const RPC = (c, w) => ({
  name: `rpc-c${c}-w${w}`,
  kind: 'rpc',
  title: `RPC: ${c} connection${c > 1 ? 's' : ''} × ${w} request${w > 1 ? 's' : ''} in flight`,
  lg: { mode: 'rpc', conns: c, inflight: w, warmupMs: 1000, measureMs: 4000, timeoutMs: 60000 },
});
// The project's client against the hand-written adapter, on the same server in the same repetition.
const CLIENT_SERVER = 'socketapi';
const CLIENT = (c, w) => ({
  name: `client-c${c}-w${w}`,
  kind: 'client',
  title: `Client: ${LIBRARY_CLIENT} vs the hand-written ws client, ${c} connection${c > 1 ? 's' : ''} × ${w} actions in flight against ${CLIENT_SERVER}`,
  server: CLIENT_SERVER,
  clients: [HAND_WRITTEN, PLAIN_WS, LIBRARY_CLIENT],
  lg: { mode: 'rpc', conns: c, inflight: w, warmupMs: 1000, measureMs: 4000, timeoutMs: 60000 },
});
/**
 * Servers that have the history twin of `chat` (`hist`, as long a name, so that frames differ only by their
 * `offset`; action `publish_history`): the library's bench app.
 */
const HISTORY_SERVERS = ['socketapi', 'socketapi-baseline'];
const FANOUT = (subs, label, rate, burstMeasureMs, history = false) => ({
  name: `fanout-${label}${history ? '-history' : ''}`,
  kind: 'fanout',
  title: `Fan-out: ${subs.toLocaleString('en-US')} subscribers of ${history ? 'hist (chat with history: size 1000, ttl 300 s)' : 'chat'} + 1 publisher`,
  // The history twin: the same load on the channel with history, compared with its plain twin within each repetition.
  ...(history ? { twinOf: `fanout-${label}`, servers: HISTORY_SERVERS } : {}),
  lg: {
    mode: 'fanout',
    subs,
    rate,
    rateWarmupMs: 1000,
    rateMeasureMs: 5000,
    burstInflight: 4,
    burstWarmupMs: 1000,
    burstMeasureMs,
    padBytes: 100,
    timeoutMs: 180000,
    ...(history ? { channel: 'hist', publishAction: 'publish_history' } : {}),
  },
});
const IDLE = (conns, label) => ({
  name: `idle-${label}`,
  kind: 'idle',
  title: `Idle: ${conns.toLocaleString('en-US')} idle connections, then all subscribed`,
  lg: { mode: 'idle', conns, timeoutMs: 240000 },
});
const FULL = [
  RPC(1, 1),
  RPC(1, 16),
  RPC(50, 1),
  RPC(50, 16),
  RPC(200, 1),
  RPC(200, 16),
  CLIENT(1, 16),
  CLIENT(50, 16),
  FANOUT(1000, '1k', 20, 4000),
  FANOUT(1000, '1k', 20, 4000, true),
  FANOUT(10000, '10k', 2, 4000),
  FANOUT(10000, '10k', 2, 4000, true),
  IDLE(10000, '10k'),
];
const QUICK = [RPC(50, 16), RPC(1, 1), CLIENT(1, 16), CLIENT(50, 16), FANOUT(1000, '1k', 20, 3000), IDLE(2000, '2k')];

// ------------------------------------------------------------------------------------ options
function parseArgs(argv) {
  const o = {
    reps: undefined,
    quick: false,
    only: null,
    scenarios: null,
    pin: true,
    out: null,
    verbose: false,
    list: false,
    report: null,
    maxWait: 60,
    retry: true,
  };
  for (let i = 0; i < argv.length; i++) {
    const a = argv[i];
    const val = () => {
      const v = a.includes('=') ? a.slice(a.indexOf('=') + 1) : argv[++i];
      if (v === undefined) throw new Error(`${a} needs a value`);
      return v;
    };
    const key = a.split('=')[0];
    if (key === '--reps') o.reps = Math.max(1, parseInt(val(), 10));
    else if (key === '--quick') o.quick = true;
    else if (key === '--only') o.only = val().split(',').filter(Boolean);
    else if (key === '--scenarios') o.scenarios = val().split(',').filter(Boolean);
    else if (key === '--no-pin') o.pin = false;
    else if (key === '--out') o.out = path.resolve(val());
    else if (key === '--verbose') o.verbose = true;
    else if (key === '--list') o.list = true;
    else if (key === '--report') o.report = path.resolve(val());
    else if (key === '--max-wait') o.maxWait = Math.max(0, Number(val()));
    else if (key === '--no-retry') o.retry = false;
    else if (key === '--baseline') o.baseline = path.resolve(val());
    else if (key === '--help' || key === '-h') {
      console.log(
        fs
          .readFileSync(fileURLToPath(import.meta.url), 'utf8')
          .split('\n')
          .slice(0, 16)
          .join('\n'),
      );
      process.exit(0);
    } else throw new Error(`unknown option ${a}`);
  }
  return o;
}

let opts;
try {
  opts = parseArgs(process.argv.slice(2));
} catch (err) {
  console.error(err.message);
  process.exit(2);
}

if (opts.report) {
  // re-render a past run
  const data = JSON.parse(fs.readFileSync(path.join(opts.report, 'results.json'), 'utf8'));
  data.summary = summarize(data);
  fs.writeFileSync(path.join(opts.report, 'report.md'), renderReport(data));
  fs.writeFileSync(path.join(opts.report, 'chart.svg'), renderChart(data));
  console.log(fs.readFileSync(path.join(opts.report, 'report.md'), 'utf8'));
  process.exit(0);
}

if (opts.baseline) {
  SERVERS.push({
    name: 'socketapi-baseline',
    proto: 'socketapi',
    script: path.join(opts.baseline, 'dist/bench/app/main.js'),
    build: `cd ${opts.baseline} && npx tsc -p tsconfig.bench.json`,
    what: `the bench app as built in ${opts.baseline} (before/after comparisons)`,
  });
}
const scenarioSet = opts.quick ? QUICK : FULL;
const chosenScenarios = opts.scenarios
  ? scenarioSet.filter((s) => opts.scenarios.some((p) => s.name === p || s.name.startsWith(p) || s.kind === p))
  : scenarioSet;
let servers = opts.only ? SERVERS.filter((s) => opts.only.includes(s.name)) : SERVERS.filter((s) => !s.optIn);
if (opts.only) {
  const unknown = opts.only.filter((n) => !SERVERS.some((s) => s.name === n));
  if (unknown.length) {
    console.error(`unknown server(s): ${unknown.join(', ')} (known: ${SERVERS.map((s) => s.name).join(', ')})`);
    process.exit(2);
  }
  // the reference row is always measured: every ratio needs it
  if (!servers.some((s) => s.name === REF)) servers = [SERVERS.find((s) => s.name === REF), ...servers];
}
const reps = opts.reps ?? (opts.quick ? 1 : 3);
// a client-* scenario needs its server among those selected
const scenarios = chosenScenarios.filter((s) => !s.server || servers.some((d) => d.name === s.server));

if (opts.list) {
  console.log('servers:');
  for (const s of SERVERS) console.log(`  ${s.name.padEnd(13)} ${s.what}`);
  console.log('scenarios (full):', FULL.map((s) => s.name).join(' '));
  console.log('scenarios (--quick):', QUICK.map((s) => s.name).join(' '));
  process.exit(0);
}
if (scenarios.length === 0) {
  console.error(
    chosenScenarios.length
      ? `the client-* scenarios need the server ${CLIENT_SERVER} (--only)`
      : 'no scenario selected',
  );
  process.exit(2);
}

// ------------------------------------------------------------------------------------ file limit
// 10k connections need ~10.1k descriptors in the load generator and in the server. Raise the
// soft limit by re-running this script through bash's `ulimit`, which the children inherit.
function nofile() {
  const m = fs.readFileSync('/proc/self/limits', 'utf8').match(/Max open files\s+(\S+)\s+(\S+)/);
  const n = (v) => (v === 'unlimited' ? Infinity : Number(v));
  return m ? { soft: n(m[1]), hard: n(m[2]) } : { soft: 1024, hard: 1024 };
}
const needFds = Math.max(...scenarios.map((s) => s.lg.subs ?? s.lg.conns ?? 0)) + 512;
if (nofile().soft < 65536 && !process.env.BENCH_NOFILE_RAISED) {
  const r = spawnSync(
    'bash',
    [
      '-c',
      'ulimit -n 65536 2>/dev/null || ulimit -n "$(ulimit -Hn)" 2>/dev/null; exec "$0" "$@"',
      process.execPath,
      fileURLToPath(import.meta.url),
      ...process.argv.slice(2),
    ],
    { stdio: 'inherit', env: { ...process.env, BENCH_NOFILE_RAISED: '1' } },
  );
  process.exit(r.status ?? 1);
}
if (nofile().soft < needFds) {
  console.error(
    `warning: open-file limit ${nofile().soft} < ${needFds} needed by the largest scenario; it will probably fail`,
  );
}

// ------------------------------------------------------------------------------------ process control
const children = new Set(); // ChildProcess objects whose process group we own
function killGroup(child, signal) {
  if (child.exitCode !== null || child.signalCode !== null) return;
  try {
    process.kill(-child.pid, signal);
  } catch {
    try {
      child.kill(signal);
    } catch {
      /* gone */
    }
  }
}
function cleanupAll() {
  for (const c of children) killGroup(c, 'SIGKILL');
}
process.on('exit', cleanupAll);
for (const sig of ['SIGINT', 'SIGTERM', 'SIGHUP']) {
  process.on(sig, () => {
    console.error(`\n${sig}: stopping servers and load generator`);
    cleanupAll();
    process.exit(130);
  });
}
const sleep = (ms) => new Promise((r) => setTimeout(r, ms));
function exited(child, ms) {
  if (child.exitCode !== null || child.signalCode !== null) return Promise.resolve(true);
  return new Promise((resolve) => {
    const t = setTimeout(() => resolve(false), ms);
    child.once('exit', () => {
      clearTimeout(t);
      resolve(true);
    });
  });
}

const haveTaskset = (() => {
  try {
    execFileSync('taskset', ['-p', String(process.pid)], { stdio: 'ignore' });
    return os.cpus().length >= 2;
  } catch {
    return false;
  }
})();
const pin = opts.pin && haveTaskset;
const SERVER_CPU = 1;
const LOADGEN_CPU = 0;
if (pin) {
  // the runner itself stays off the server's core
  try {
    execFileSync('taskset', ['-pc', String(LOADGEN_CPU), String(process.pid)], { stdio: 'ignore' });
  } catch {
    /* not fatal */
  }
}
const pinned = (cpu, argv) => (pin ? ['taskset', ['-c', String(cpu), ...argv]] : [argv[0], argv.slice(1)]);
let clkTck = 100;
try {
  clkTck = Number(execFileSync('getconf', ['CLK_TCK']).toString().trim()) || 100;
} catch {
  /* default */
}

let portCounter = 0;
const nextPort = () => 19400 + (portCounter++ % 400);

function portOpen(port) {
  return new Promise((resolve) => {
    const s = net.connect({ port, host: HOST });
    s.once('connect', () => {
      s.destroy();
      resolve(true);
    });
    s.once('error', () => resolve(false));
  });
}

async function startServer(def, logFd) {
  const port = nextPort();
  const [cmd, argv] = pinned(SERVER_CPU, [
    process.execPath,
    '--expose-gc',
    '--require',
    PROBE,
    path.resolve(ROOT, def.script),
  ]);
  const env = { ...process.env, ...def.env, PORT: String(port), HOST, NODE_ENV: 'production' };
  delete env.NODE_OPTIONS;
  delete env.BENCH_NOFILE_RAISED;
  const child = spawn(cmd, argv, { cwd: ROOT, env, stdio: ['ignore', logFd, logFd, 'ipc'], detached: true });
  children.add(child);
  child.once('exit', () => children.delete(child));
  const srv = { child, port, url: `ws://${HOST}:${port}/`, pid: null, reqs: new Map(), nextReq: 1 };
  child.on('message', (m) => {
    if (m?.probe === 'ready') srv.pid = m.pid;
    else if (m?.probe === 'mem') srv.reqs.get(m.id)?.(m);
  });
  child.on('error', () => {});
  const t0 = Date.now();
  while (!(srv.pid && (await portOpen(port)))) {
    if (child.exitCode !== null || child.signalCode !== null)
      throw new Error(`${def.name} exited during start-up (code ${child.exitCode}); see the server log`);
    if (Date.now() - t0 > 30000) {
      await stopServer(srv);
      throw new Error(`${def.name} did not accept connections on port ${port} within 30 s`);
    }
    await sleep(50);
  }
  return srv;
}

function memory(srv) {
  return new Promise((resolve, reject) => {
    const id = srv.nextReq++;
    const t = setTimeout(() => {
      srv.reqs.delete(id);
      reject(new Error('memory probe timed out'));
    }, 30000);
    srv.reqs.set(id, (m) => {
      clearTimeout(t);
      srv.reqs.delete(id);
      resolve(m.mem);
    });
    srv.child.send({ probe: 'mem', id });
  });
}

async function stopServer(srv) {
  const { child } = srv;
  killGroup(child, 'SIGTERM');
  if (!(await exited(child, 3000))) {
    killGroup(child, 'SIGKILL');
    await exited(child, 3000);
  }
  // anything else left in the group (there should be nothing)
  try {
    process.kill(-child.pid, 'SIGKILL');
  } catch {
    /* group gone: good */
  }
  children.delete(child);
}

/** Runs the load generator; `onPhase(name)` is awaited before it is told to go on. */
function runLoadgen(cfg, onPhase) {
  return new Promise((resolve, reject) => {
    const [cmd, argv] = pinned(LOADGEN_CPU, [
      process.execPath,
      '--max-old-space-size=4096',
      LOADGEN,
      JSON.stringify(cfg),
    ]);
    const env = { ...process.env };
    delete env.NODE_OPTIONS;
    const child = spawn(cmd, argv, { cwd: ROOT, env, stdio: ['pipe', 'pipe', 'pipe'], detached: true });
    children.add(child);
    let result = null;
    let stderr = '';
    let buf = '';
    child.stdin.on('error', () => {}); // the load generator may be gone already
    child.stderr.on('data', (d) => {
      stderr += d;
      if (opts.verbose) process.stderr.write(d);
    });
    child.stdout.on('data', async (d) => {
      buf += d;
      let nl;
      while ((nl = buf.indexOf('\n')) >= 0) {
        const line = buf.slice(0, nl);
        buf = buf.slice(nl + 1);
        if (line.startsWith('RESULT ')) result = JSON.parse(line.slice(7));
        else if (line.startsWith('PHASE ')) {
          try {
            await onPhase?.(line.slice(6).trim());
          } catch (err) {
            result = { error: `phase ${line.slice(6)}: ${err.message}` };
          }
          if (child.stdin.writable) child.stdin.write('go\n');
        } else if (opts.verbose && line) console.log(`      ${line}`);
      }
    });
    child.on('error', reject);
    child.on('exit', (code, signal) => {
      children.delete(child);
      try {
        process.kill(-child.pid, 'SIGKILL');
      } catch {
        /* gone */
      }
      if (result) resolve(result);
      else reject(new Error(`load generator exited (${signal ?? code}) without a result: ${stderr.slice(-2000)}`));
    });
  });
}

// ------------------------------------------------------------------------------------ other load
// This machine may be shared (tests, builds): before each measurement wait (at most --max-wait s)
// until other processes use < BUSY_PCT % of a core, and measure again once when they did during
// the measured window.
async function othersPct(ms) {
  const a = foreignCpu([process.pid], clkTck);
  await sleep(ms);
  const b = foreignCpu([process.pid], clkTck);
  return a === null || b === null ? 0 : (100 * (b - a)) / (ms / 1000);
}
async function quietWait() {
  const t0 = Date.now();
  let pct = await othersPct(400);
  let said = false;
  while (pct > BUSY_PCT && Date.now() - t0 < opts.maxWait * 1000) {
    if (!said)
      console.log(
        `      other processes use ${Math.round(pct)}% CPU: waiting up to ${opts.maxWait} s for them to go quiet`,
      );
    said = true;
    pct = await othersPct(1000);
  }
  return pct;
}
function othersDuring(kind, r) {
  if (r.error) return undefined;
  if (kind === 'rpc' || kind === 'client') return r.otherProcessesCpuPct;
  if (kind === 'fanout') return Math.max(r.rate?.otherProcessesCpuPct ?? 0, r.burst?.otherProcessesCpuPct ?? 0);
  return undefined;
}

// ------------------------------------------------------------------------------------ measurement
async function measure(def, scenario, logFd, client) {
  const srv = await startServer(def, logFd);
  try {
    const cfg = {
      ...scenario.lg,
      proto: def.proto,
      url: srv.url,
      serverPid: srv.pid,
      clkTck,
      loadgenCore: pin ? LOADGEN_CPU : null,
      serverCore: pin ? SERVER_CPU : null,
      client,
    };
    if (scenario.kind !== 'idle') return await runLoadgen(cfg);
    await sleep(500);
    const mem = { base: await memory(srv) };
    const res = await runLoadgen(cfg, async (phase) => {
      await sleep(500);
      mem[phase] = await memory(srv);
    });
    if (res.error) return res;
    const per = (a, b, key) => Math.round(((b[key] - a[key]) / cfg.conns / 1024) * 100) / 100;
    const perConn = {};
    for (const phase of ['connected', 'subscribed']) {
      if (!mem[phase]) continue;
      perConn[phase] = {
        rssKB: per(mem.base, mem[phase], 'rss'),
        heapKB: per(mem.base, mem[phase], 'heapUsed'),
        externalKB: per(mem.base, mem[phase], 'external'),
      };
    }
    return { ...res, mem, perConn };
  } finally {
    await stopServer(srv);
  }
}

function checkBuilt() {
  const built = [
    ...servers.map(({ script, build }) => ({ script, build })),
    ...(scenarios.some((s) => s.kind === 'client')
      ? [{ script: 'client/dist/index.js', build: 'npx tsc -p client/tsconfig.build.json' }]
      : []),
  ];
  const missing = built.filter((s) => !fs.existsSync(path.resolve(ROOT, s.script)));
  if (missing.length) {
    console.error(
      `not built: ${missing.map((s) => `${s.script} (${s.build})`).join(', ')}\nrun \`npm run bench\`, which builds first`,
    );
    process.exit(2);
  }
}

function versions() {
  const v = {};
  for (const p of [
    'ws',
    'socket.io',
    'socket.io-client',
    '@nestjs/core',
    '@nestjs/websockets',
    '@nestjs/platform-ws',
    'class-validator',
    LIBRARY_CLIENT,
  ]) {
    try {
      v[p] = JSON.parse(fs.readFileSync(path.join(ROOT, 'node_modules', p, 'package.json'), 'utf8')).version;
    } catch {
      /* not installed */
    }
  }
  return v;
}

function machine() {
  const cpus = os.cpus();
  let memGiB = Math.round(os.totalmem() / 2 ** 30);
  return {
    cpuModel: cpus[0]?.model ?? 'unknown',
    cores: os.cpus().length,
    memGiB,
    kernel: `${os.type()} ${os.release()}`,
    node: process.version,
  };
}

// ------------------------------------------------------------------------------------ main
checkBuilt();
const started = new Date();
const stamp = started.toISOString().replace(/\..*/, '').replace(/:/g, '-');
const outDir = opts.out ?? path.join(BENCH, 'results', stamp);
fs.mkdirSync(outDir, { recursive: true });
const logFd = fs.openSync(path.join(outDir, 'servers.log'), 'a');
const command = `node bench/run.mjs ${process.argv.slice(2).join(' ')}`.trim();
const data = {
  date: started.toISOString(),
  command:
    process.env.npm_lifecycle_event === 'bench'
      ? `npm run bench${process.argv.length > 2 ? ' -- ' + process.argv.slice(2).join(' ') : ''}`
      : command,
  machine: machine(),
  versions: versions(),
  pinned: pin ? { server: SERVER_CPU, loadgen: LOADGEN_CPU } : null,
  reps,
  ref: REF,
  servers: servers.map(({ name, proto, what }) => ({ name, proto, what })),
  scenarios: scenarios.map(({ name, kind, title, twinOf, lg, server, clients }) => ({
    name,
    kind,
    title,
    twinOf,
    lg,
    server,
    clients,
  })),
  conformance: {},
  clientConformance: {},
  measurements: [],
};
const save = () => fs.writeFileSync(path.join(outDir, 'results.json'), JSON.stringify(data, null, 1));

/**
 * What a scenario measures in one repetition: every server (a history twin: those that have the history
 * channel), or (client-*) every client on its one server.
 */
const unitsOf = (scenario) =>
  scenario.kind === 'client'
    ? scenario.clients.map((client) => ({ def: servers.find((d) => d.name === scenario.server), client, row: client }))
    : servers
        .filter((def) => !scenario.servers || scenario.servers.includes(def.name))
        .map((def) => ({ def, row: def.name }));
const total = reps * scenarios.reduce((n, s) => n + unitsOf(s).length, 0);
console.log(
  `bench: ${servers.map((s) => s.name).join(', ')} × ${scenarios.map((s) => s.name).join(', ')} × ${reps} rep(s) = ${total} measurements`,
);
console.log(
  `pinning: ${pin ? `server CPU ${SERVER_CPU}, load generator CPU ${LOADGEN_CPU}` : 'off'}; output ${path.relative(ROOT, outDir)}/`,
);
const tStart = Date.now();

// conformance check, once per server
for (const def of servers) {
  let res;
  try {
    const srv = await startServer(def, logFd);
    try {
      res = await runLoadgen({ mode: 'check', proto: def.proto, url: srv.url, timeoutMs: 30000 });
    } finally {
      await stopServer(srv);
    }
  } catch (err) {
    res = { passed: 0, failed: 1, error: err.message };
  }
  data.conformance[def.name] = res;
  const failures = (res.results ?? []).filter((r) => !r.ok).map((r) => `${r.name}: ${r.error}`);
  console.log(
    `check ${def.name.padEnd(13)} ${res.passed ?? 0} passed, ${res.failed ?? 1} failed${res.error ? ` (${res.error})` : ''}${failures.length ? '\n    ' + failures.join('\n    ') : ''}`,
  );
}

// the other clients, once each, on the action steps of the check (they are not asked to speak channels here)
for (const scenario of scenarios.filter((s) => s.kind === 'client')) {
  const def = servers.find((d) => d.name === scenario.server);
  for (const client of scenario.clients.filter((c) => c !== HAND_WRITTEN && !data.clientConformance[c])) {
    let res;
    try {
      const srv = await startServer(def, logFd);
      try {
        res = await runLoadgen({ mode: 'check', proto: def.proto, client, url: srv.url, timeoutMs: 30000 });
      } finally {
        await stopServer(srv);
      }
    } catch (err) {
      res = { passed: 0, failed: 1, error: err.message };
    }
    data.clientConformance[client] = res;
    const failures = (res.results ?? []).filter((r) => !r.ok).map((r) => `${r.name}: ${r.error}`);
    console.log(
      `check ${client} → ${def.name}: ${res.passed ?? 0} passed, ${res.failed ?? 1} failed${res.error ? ` (${res.error})` : ''}${failures.length ? '\n    ' + failures.join('\n    ') : ''}`,
    );
  }
}

let n = 0;
for (let rep = 0; rep < reps; rep++) {
  for (const [si, scenario] of scenarios.entries()) {
    const units = unitsOf(scenario);
    if (units.length === 0) continue;
    const k = (rep + si) % units.length;
    const order = [...units.slice(k), ...units.slice(0, k)];
    for (const { def, client, row } of order) {
      n++;
      const t0 = Date.now();
      let result;
      let attempts = 0;
      for (;;) {
        attempts++;
        await quietWait();
        let r;
        try {
          r = await measure(def, scenario, logFd, client);
        } catch (err) {
          r = { error: err.message };
        }
        const busy = othersDuring(scenario.kind, r);
        const prev = othersDuring(scenario.kind, result ?? {});
        if (!result || (result.error && !r.error) || (!r.error && (busy ?? 0) < (prev ?? Infinity))) result = r;
        if (!(opts.retry && attempts < 2 && (busy ?? 0) > BUSY_PCT)) break;
        console.log(`      other processes used ${Math.round(busy)}% CPU during the measurement: measuring again`);
      }
      data.measurements.push({
        rep,
        scenario: scenario.name,
        server: def.name,
        ...(client && { client }),
        result,
        attempts,
        seconds: Math.round((Date.now() - t0) / 100) / 10,
      });
      save();
      console.log(
        `[${String(n).padStart(3)}/${total}] rep ${rep + 1} ${scenario.name.padEnd(14)} ${row.padEnd(13)} ${brief(scenario, result)}  (${((Date.now() - t0) / 1000).toFixed(1)} s)`,
      );
    }
  }
}
fs.closeSync(logFd);

data.elapsedS = Math.round((Date.now() - tStart) / 1000);
data.summary = summarize(data);
save();
const report = renderReport(data);
fs.writeFileSync(path.join(outDir, 'report.md'), report);
fs.writeFileSync(path.join(outDir, 'chart.svg'), renderChart(data));
fs.copyFileSync(path.join(outDir, 'report.md'), path.join(BENCH, 'report.md'));
fs.copyFileSync(path.join(outDir, 'chart.svg'), path.join(BENCH, 'chart.svg'));
console.log('\n' + report);
console.log(
  `written: ${path.relative(ROOT, outDir)}/{report.md,results.json,chart.svg,servers.log}, bench/report.md, bench/chart.svg (${Math.round(data.elapsedS / 6) / 10} min)`,
);

function brief(scenario, r) {
  if (r.error) return `ERROR ${r.error.split('\n')[0]}`;
  const others = othersDuring(scenario.kind, r);
  const lg =
    (r.loadgenCpuPct !== undefined ? ` lg ${r.loadgenCpuPct}%` : '') +
    (others > BUSY_PCT ? ` (others ${Math.round(others)}%!)` : '');
  if (scenario.kind === 'rpc')
    return `${Math.round(r.rps)} req/s p50 ${r.latencyMs.p50} p99 ${r.latencyMs.p99} ms, ${r.serverCpuUsPerUnit} µs/req${lg}${r.errors ? ` ERRORS ${r.errors}` : ''}`;
  if (scenario.kind === 'client')
    return `${Math.round(r.rps)} req/s p50 ${r.latencyMs.p50} p99 ${r.latencyMs.p99} ms, load gen ${r.loadgenCpuUsPerUnit} µs/req, server ${r.serverCpuUsPerUnit} µs/req${lg}${r.errors ? ` ERRORS ${r.errors}` : ''}`;
  if (scenario.kind === 'fanout') {
    const b = r.burst;
    return `rate p50 ${r.rate.latencyMs.p50} p99 ${r.rate.latencyMs.p99} ms; burst ${Math.round(b.deliveriesPerS)}/s ${b.serverCpuUsPerUnit} µs/delivery lg ${b.loadgenCpuPct}%${others > BUSY_PCT ? ` (others ${Math.round(others)}%!)` : ''}${r.rate.lost ? ` LOST ${r.rate.lost}` : ''}`;
  }
  const c = r.perConn?.connected;
  const s = r.perConn?.subscribed;
  return `idle ${c?.rssKB} KB rss/${c?.heapKB} KB heap per conn; subscribed ${s?.rssKB}/${s?.heapKB}`;
}
