// Load generator of `npm run bench`: one process, started (and pinned to CPU 0) by bench/run.mjs.
//   node bench/loadgen.mjs '<json config>'
// Modes (config.mode): check | rpc | fanout | idle. `config.client` (`client-*` scenarios) replaces the
// protocol's hand-written adapter by a plain ws client (lib/plain-ws-client.mjs) or the project's client
// (lib/library-client.mjs). Prints progress as `LOG …` lines, idle phases
// as `PHASE <name>` (then waits for a line on stdin), and the outcome as one `RESULT {json}` line.
// Server CPU comes from /proc/<config.serverPid>/stat (utime+stime) over the measured window;
// the load generator's own CPU from process.cpuUsage() over the same window.
import { performance } from 'node:perf_hooks';
import { isDeepStrictEqual } from 'node:util';
import { HAND_WRITTEN, LIBRARY_CLIENT, PLAIN_WS } from './lib/client-names.mjs';
import { adapters } from './lib/clients.mjs';
import { coreTicks, foreignCpu, processCpu } from './lib/procstat.mjs';

const cfg = JSON.parse(process.argv[2] ?? '{}');
const connect = await adapterOf(cfg);
if (!connect) {
  console.error(`unknown proto ${cfg.proto} or client ${cfg.client}`);
  process.exit(2);
}
/** Imported only when asked for: the client's build (client/dist) is needed by the client-* scenarios alone. */
async function adapterOf({ proto, client }) {
  if (client === undefined || client === HAND_WRITTEN) return adapters[proto];
  if (proto !== 'socketapi') return undefined;
  if (client === PLAIN_WS) return (await import('./lib/plain-ws-client.mjs')).connectPlainWs;
  if (client === LIBRARY_CLIENT) return (await import('./lib/library-client.mjs')).connectLibraryClient;
  return undefined;
}
const CLK_TCK = cfg.clkTck ?? 100;
const log = (...a) => process.stdout.write('LOG ' + a.join(' ') + '\n');
const sleep = (ms) => new Promise((r) => setTimeout(r, ms));
const live = new Set();

// ---------------------------------------------------------------------------- measurement helpers
// Processes whose CPU is not "other load": this one, the server, and the runner (our parent).
const own = [process.pid, process.ppid, cfg.serverPid ?? 0, ...(cfg.excludePids ?? [])];
function snapshot() {
  return {
    t: performance.now(),
    own: process.cpuUsage(),
    srv: processCpu(cfg.serverPid, CLK_TCK),
    other: foreignCpu(own, CLK_TCK),
    lgCore: coreTicks(cfg.loadgenCore),
    srvCore: coreTicks(cfg.serverCore),
  };
}
/** CPU figures between two snapshots; `units` = requests or deliveries completed in between. */
function cpuBetween(a, b, units) {
  const secs = (b.t - a.t) / 1000;
  const ownS = (b.own.user - a.own.user + b.own.system - a.own.system) / 1e6;
  const out = { windowS: round(secs, 3), loadgenCpuPct: round((100 * ownS) / secs, 1) };
  if (units > 0) out.loadgenCpuUsPerUnit = round((ownS * 1e6) / units, 2);
  const corePct = (x, y) =>
    x && y && y.total > x.total ? round((100 * (y.busy - x.busy)) / (y.total - x.total), 1) : undefined;
  out.loadgenCoreBusyPct = corePct(a.lgCore, b.lgCore);
  if (a.other !== null && b.other !== null) out.otherProcessesCpuPct = round((100 * (b.other - a.other)) / secs, 1);
  out.serverCoreBusyPct = corePct(a.srvCore, b.srvCore);
  if (a.srv && b.srv) {
    const user = b.srv.user - a.srv.user;
    const sys = b.srv.sys - a.srv.sys;
    out.serverCpuPct = round((100 * (user + sys)) / secs, 1);
    if (units > 0) {
      out.serverCpuUsPerUnit = round(((user + sys) * 1e6) / units, 2);
      out.serverUserUsPerUnit = round((user * 1e6) / units, 2);
    }
  }
  return out;
}
function round(x, d) {
  const m = 10 ** d;
  return Math.round(x * m) / m;
}
/** Growable sample store; percentiles by sorting once at the end. */
class Samples {
  constructor(cap = 1 << 16) {
    this.a = new Float64Array(cap);
    this.n = 0;
    this.max = 4 << 20;
  }
  push(v) {
    if (this.n === this.a.length) {
      if (this.n >= this.max) return;
      const b = new Float64Array(this.a.length * 2);
      b.set(this.a);
      this.a = b;
    }
    this.a[this.n++] = v;
  }
  summary() {
    if (this.n === 0) return { n: 0 };
    const s = this.a.subarray(0, this.n).sort();
    const q = (p) => round(s[Math.min(this.n - 1, Math.floor(p * this.n))], 3);
    return { n: this.n, p50: q(0.5), p90: q(0.9), p99: q(0.99), max: round(s[this.n - 1], 3) };
  }
}

async function openMany(n, concurrency) {
  const conns = new Array(n);
  let next = 0;
  let opened = 0;
  const t0 = performance.now();
  async function worker() {
    while (next < n) {
      const i = next++;
      for (let attempt = 1; ; attempt++) {
        try {
          conns[i] = await connect(cfg.url, cfg);
          live.add(conns[i]);
          break;
        } catch (err) {
          if (attempt >= 5) throw new Error(`connection ${i} failed: ${err.message}`, { cause: err });
          await sleep(50 * attempt);
        }
      }
      if (++opened % 2000 === 0) log(`opened ${opened}/${n}`);
    }
  }
  await Promise.all(Array.from({ length: Math.min(concurrency, n) }, worker));
  return { conns, seconds: (performance.now() - t0) / 1000 };
}

/** Subscribes every connection (a bounded number of subscribes outstanding at once). */
async function subscribeAll(conns) {
  const t0 = performance.now();
  let failed = 0;
  const window = 500;
  for (let i = 0; i < conns.length; i += window) {
    const part = conns.slice(i, i + window);
    await Promise.all(
      part.map(
        (c) =>
          new Promise((resolve) =>
            c.subscribe((err) => {
              if (err) failed++;
              resolve();
            }),
          ),
      ),
    );
  }
  if (failed) throw new Error(`${failed} subscriptions refused`);
  return (performance.now() - t0) / 1000;
}

function waitFor(pred, timeoutMs) {
  return new Promise((resolve) => {
    const t0 = Date.now();
    const tick = () => (pred() || Date.now() - t0 > timeoutMs ? resolve(pred()) : setTimeout(tick, 10));
    tick();
  });
}

function stdinLine() {
  return new Promise((resolve) => {
    const onData = (chunk) => {
      if (chunk.toString().includes('\n')) {
        process.stdin.off('data', onData);
        process.stdin.pause();
        resolve();
      }
    };
    process.stdin.on('data', onData);
    process.stdin.resume();
  });
}

// ---------------------------------------------------------------------------- rpc
async function rpc() {
  const { conns } = await openMany(cfg.conns, 100);
  const lat = new Samples();
  let completed = 0;
  let errors = 0;
  let outstanding = 0;
  let recording = false;
  let running = true;

  const issue = (c) => {
    const a = c.n++ & 1023;
    const t = performance.now();
    outstanding++;
    c.add(a, 7, (err, v) => {
      outstanding--;
      completed++;
      if (err || v !== a + 7) errors++;
      if (recording) lat.push(performance.now() - t);
      if (running) issue(c);
    });
  };
  for (const c of conns) {
    c.n = 0;
    for (let k = 0; k < cfg.inflight; k++) issue(c);
  }
  await sleep(cfg.warmupMs);
  const s0 = snapshot();
  const c0 = completed;
  const e0 = errors;
  recording = true;
  await sleep(cfg.measureMs);
  const s1 = snapshot();
  const c1 = completed;
  const e1 = errors;
  recording = false;
  running = false;
  await waitFor(() => outstanding === 0, 3000);
  const done = c1 - c0;
  const cpu = cpuBetween(s0, s1, done);
  return {
    rps: round(done / cpu.windowS, 1),
    completed: done,
    errors: e1 - e0,
    unmatched: conns.reduce((n, c) => n + c.unmatched, 0),
    latencyMs: lat.summary(),
    ...cpu,
  };
}

// ---------------------------------------------------------------------------- fan-out
async function fanout() {
  const subs = cfg.subs;
  const opened = await openMany(subs, 200);
  log(`${subs} subscribers connected in ${opened.seconds.toFixed(1)} s`);
  const subscribeS = await subscribeAll(opened.conns);
  const [pub] = (await openMany(1, 1)).conns;

  const RING = 1 << 16;
  const received = new Uint32Array(RING);
  const sentAt = new Float64Array(RING);
  let delivered = 0;
  let junk = 0;
  let phase = 'rate';
  let recordFrom = Infinity; // first seq whose deliveries are recorded
  let recordTo = -1; // last seq recorded (inclusive)
  const rateLat = new Samples();
  const burstLat = new Samples();
  let recordedDeliveries = 0;
  let onComplete = null;

  const onDelivery = (ts, seq) => {
    const now = performance.now();
    if (!(seq >= 0)) {
      junk++;
      return;
    }
    delivered++;
    if (seq >= recordFrom && seq <= recordTo) {
      (phase === 'rate' ? rateLat : burstLat).push(now - ts);
      recordedDeliveries++;
    }
    const slot = seq & (RING - 1);
    if (++received[slot] === subs && onComplete !== null) onComplete(seq);
  };
  for (const c of opened.conns) c.onDelivery(onDelivery);

  const pad = 'x'.repeat(cfg.padBytes ?? 100);
  let seq = 0;
  let pubErrors = 0;
  let acked = 0;
  const publish = () => {
    const s = seq++;
    const slot = s & (RING - 1);
    received[slot] = 0;
    const ts = performance.now();
    sentAt[slot] = ts;
    const obj = { ts, seq: s, pad };
    pub.publish(obj, '{"ts":' + ts + ',"seq":' + s + ',"pad":"' + pad + '"}', (err) => {
      acked++;
      if (err) pubErrors++;
    });
    return s;
  };
  const allDelivered = (s) => received[s & (RING - 1)] >= subs;

  // (a) fixed rate: warm-up publishes, then measured ones; latency = receipt - publish send time
  const interval = 1000 / cfg.rate;
  const warmN = Math.max(1, Math.round((cfg.rate * cfg.rateWarmupMs) / 1000));
  const measN = Math.max(1, Math.round((cfg.rate * cfg.rateMeasureMs) / 1000));
  recordFrom = warmN;
  recordTo = warmN + measN - 1;
  const tStart = performance.now();
  let r0 = null;
  for (let k = 0; k < warmN + measN; k++) {
    if (k === warmN) r0 = snapshot();
    const due = tStart + k * interval;
    const wait = due - performance.now();
    if (wait > 1) await sleep(wait);
    publish();
  }
  await waitFor(() => allDelivered(recordTo), 10000);
  const rateCpu = cpuBetween(r0, snapshot(), recordedDeliveries);
  const rateExpected = measN * subs;
  const rate = {
    publishes: measN,
    perSecond: cfg.rate,
    latencyMs: rateLat.summary(),
    lost: rateExpected - recordedDeliveries,
    serverCpuPct: rateCpu.serverCpuPct,
    loadgenCpuPct: rateCpu.loadgenCpuPct,
    otherProcessesCpuPct: rateCpu.otherProcessesCpuPct,
  };
  log(`rate phase: p50 ${rate.latencyMs.p50} ms p99 ${rate.latencyMs.p99} ms lost ${rate.lost}`);

  // (b) burst: keep `burstInflight` publishes not yet delivered to every subscriber
  phase = 'burst';
  let running = true;
  let inflight = 0;
  let lastProgress = performance.now();
  const firstBurstSeq = seq;
  onComplete = (s) => {
    if (s < firstBurstSeq) return;
    inflight--;
    lastProgress = performance.now();
    if (running) {
      inflight++;
      publish();
    }
  };
  for (let k = 0; k < cfg.burstInflight; k++) {
    inflight++;
    publish();
  }
  await sleep(cfg.burstWarmupMs);
  recordFrom = seq; // latency of publishes sent from now on
  recordTo = Number.MAX_SAFE_INTEGER;
  const s0 = snapshot();
  const d0 = delivered;
  const p0 = seq;
  await sleep(cfg.burstMeasureMs);
  const s1 = snapshot();
  const d1 = delivered;
  const p1 = seq;
  running = false;
  recordTo = p1 - 1;
  const drained = await waitFor(() => inflight === 0 || performance.now() - lastProgress > 5000, 20000);
  const cpu = cpuBetween(s0, s1, d1 - d0);
  const burst = {
    deliveriesPerS: round((d1 - d0) / cpu.windowS, 1),
    publishesPerS: round((p1 - p0) / cpu.windowS, 1),
    deliveries: d1 - d0,
    latencyMs: burstLat.summary(),
    stalled: drained && inflight > 0 ? inflight : 0,
    ...cpu,
  };
  log(`burst phase: ${burst.deliveriesPerS} deliveries/s, server ${burst.serverCpuUsPerUnit} us/delivery`);
  return {
    subscribers: subs,
    connectS: round(opened.seconds, 2),
    subscribeS: round(subscribeS, 2),
    rate,
    burst,
    publishErrors: pubErrors,
    publishesAcked: acked,
    junkFrames: junk,
  };
}

// ---------------------------------------------------------------------------- idle
async function idle() {
  const opened = await openMany(cfg.conns, 200);
  log(`${cfg.conns} idle connections in ${opened.seconds.toFixed(1)} s`);
  process.stdout.write('PHASE connected\n');
  await stdinLine();
  const subscribeS = await subscribeAll(opened.conns);
  process.stdout.write('PHASE subscribed\n');
  await stdinLine();
  const stillOpen = opened.conns.filter((c) => c.open).length;
  return { conns: cfg.conns, connectS: round(opened.seconds, 2), subscribeS: round(subscribeS, 2), stillOpen };
}

// ---------------------------------------------------------------------------- conformance check
async function check() {
  const results = [];
  const step = async (name, fn) => {
    try {
      await Promise.race([fn(), sleep(3000).then(() => Promise.reject(new Error('timeout')))]);
      results.push({ name, ok: true });
    } catch (err) {
      results.push({ name, ok: false, error: String(err?.message ?? err) });
    }
  };
  const call = (c, method, ...args) =>
    new Promise((resolve, reject) =>
      c[method](...args, (err, v) =>
        err ? reject(Object.assign(new Error('error reply'), { reply: err })) : resolve(v),
      ),
    );
  const expectError = (c, data) =>
    new Promise((resolve, reject) =>
      c.addRaw(data, (err, v) =>
        err ? resolve(err) : reject(new Error(`expected an error, got ${JSON.stringify(v)}`)),
      ),
    );
  const a = await connect(cfg.url);
  const b = await connect(cfg.url);
  live.add(a);
  live.add(b);
  await step('add 5 + 3 = 8', async () => {
    const v = await call(a, 'add', 5, 3);
    if (v !== 8) throw new Error(`got ${JSON.stringify(v)}`);
  });
  await step('add with a non-integer a → error', () => expectError(a, { a: 1.5, b: 2 }));
  await step('add with a string b → error', () => expectError(a, { a: 1, b: 'x' }));
  await step('connection still works after errors', async () => {
    const v = await call(a, 'add', -4, 10);
    if (v !== 6) throw new Error(`got ${JSON.stringify(v)}`);
  });
  await step('16 pipelined adds answered correctly', async () => {
    const vs = await Promise.all(Array.from({ length: 16 }, (_, i) => call(a, 'add', i, 100)));
    vs.forEach((v, i) => {
      if (v !== i + 100) throw new Error(`request ${i}: got ${v}`);
    });
  });
  const passed = () => results.filter((r) => r.ok).length;
  if (b.subscribe === undefined) return { passed: passed(), failed: results.length - passed(), results };
  await step('subscribe chat', () => call(b, 'subscribe'));
  await step('publish reaches the subscriber verbatim, publisher gets a reply', async () => {
    const payload = { ts: 123.456, seq: 7, pad: 'héllo', nested: { list: [1, 'two', null], flag: true } };
    const got = new Promise((resolve) => b.onData(resolve));
    await call(a, 'publish', payload, JSON.stringify(payload));
    const data = await got;
    if (!isDeepStrictEqual(data, payload)) throw new Error(`got ${JSON.stringify(data)}`);
  });
  return { passed: passed(), failed: results.length - passed(), results };
}

// ---------------------------------------------------------------------------- main
const modes = { rpc, fanout, idle, check };
const killTimer = setTimeout(() => {
  process.stdout.write(
    'RESULT ' + JSON.stringify({ error: `load generator timed out after ${cfg.timeoutMs} ms` }) + '\n',
  );
  process.exit(3);
}, cfg.timeoutMs ?? 180000);
killTimer.unref();
let result;
try {
  result = await modes[cfg.mode]();
} catch (err) {
  result = { error: String(err?.stack ?? err) };
}
for (const c of live) c.abort();
process.stdout.write('RESULT ' + JSON.stringify(result) + '\n');
process.exit(0);
