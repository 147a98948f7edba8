// Summaries (medians over repetitions, ratios to the reference taken within each repetition),
// the markdown report and a dependency-free SVG chart for bench/run.mjs. The rows of a scenario are
// servers (reference: data.ref), or for a `client` scenario its clients on one server (reference: the
// first of scenario.clients, the hand-written one).

const median = (xs) => {
  const v = xs.filter((x) => typeof x === 'number' && Number.isFinite(x)).sort((a, b) => a - b);
  if (v.length === 0) return undefined;
  const m = v.length >> 1;
  return v.length % 2 ? v[m] : (v[m - 1] + v[m]) / 2;
};

/** Metrics per scenario kind: key → [label, extractor, unit kind]. */
const METRICS = {
  rpc: {
    rps: (r) => r.rps,
    p50: (r) => r.latencyMs?.p50,
    p99: (r) => r.latencyMs?.p99,
    cpuUs: (r) => r.serverCpuUsPerUnit,
    userUs: (r) => r.serverUserUsPerUnit,
    serverCpuPct: (r) => r.serverCpuPct,
    lgCpuPct: (r) => r.loadgenCpuPct,
    lgCorePct: (r) => r.loadgenCoreBusyPct,
    srvCorePct: (r) => r.serverCoreBusyPct,
    errors: (r) => (r.errors ?? 0) + (r.unmatched ?? 0),
    others: (r) => r.otherProcessesCpuPct,
    lgUs: (r) => r.loadgenCpuUsPerUnit,
  },
  fanout: {
    rateP50: (r) => r.rate?.latencyMs?.p50,
    rateP99: (r) => r.rate?.latencyMs?.p99,
    rateLost: (r) => r.rate?.lost,
    dps: (r) => r.burst?.deliveriesPerS,
    cpuUs: (r) => r.burst?.serverCpuUsPerUnit,
    userUs: (r) => r.burst?.serverUserUsPerUnit,
    burstP50: (r) => r.burst?.latencyMs?.p50,
    burstP99: (r) => r.burst?.latencyMs?.p99,
    serverCpuPct: (r) => r.burst?.serverCpuPct,
    lgCpuPct: (r) => r.burst?.loadgenCpuPct,
    lgCorePct: (r) => r.burst?.loadgenCoreBusyPct,
    connectS: (r) => r.connectS,
    others: (r) =>
      r.rate || r.burst ? Math.max(r.rate?.otherProcessesCpuPct ?? 0, r.burst?.otherProcessesCpuPct ?? 0) : undefined,
  },
  idle: {
    idleRss: (r) => r.perConn?.connected?.rssKB,
    idleHeap: (r) => r.perConn?.connected?.heapKB,
    subRss: (r) => r.perConn?.subscribed?.rssKB,
    subHeap: (r) => r.perConn?.subscribed?.heapKB,
    baseRss: (r) => (r.mem?.base ? r.mem.base.rss / 2 ** 20 : undefined),
    baseHeap: (r) => (r.mem?.base ? r.mem.base.heapUsed / 2 ** 20 : undefined),
    connectS: (r) => r.connectS,
  },
};

METRICS.client = METRICS.rpc;

/** The row names of a scenario and the one its ratios are to. */
const rowsOf = (data, sc) =>
  sc.kind === 'client'
    ? { names: sc.clients, ref: sc.clients[0], rowOf: (m) => m.client }
    : { names: data.servers.map((s) => s.name), ref: data.ref, rowOf: (m) => m.server };

export function summarize(data) {
  const out = {};
  for (const sc of data.scenarios) {
    const metrics = METRICS[sc.kind];
    const rows = {};
    const ms = data.measurements.filter((m) => m.scenario === sc.name);
    const { names, ref, rowOf } = rowsOf(data, sc);
    for (const name of names) {
      const mine = ms.filter((m) => rowOf(m) === name);
      const ok = mine.filter((m) => !m.result.error);
      const row = {
        n: ok.length,
        errors: mine.filter((m) => m.result.error).map((m) => m.result.error.split('\n')[0]),
        metrics: {},
      };
      for (const [key, get] of Object.entries(metrics)) {
        const ratios = ok.map((m) => {
          const pair = ms.find((x) => x.rep === m.rep && rowOf(x) === ref && !x.result.error);
          const a = get(m.result);
          const b = pair ? get(pair.result) : undefined;
          return typeof a === 'number' && typeof b === 'number' && b !== 0 ? a / b : undefined;
        });
        const paired = ratios.filter((r) => r !== undefined);
        row.metrics[key] = {
          value: median(ok.map((m) => get(m.result))),
          ratio: median(ratios),
          ratios: paired,
          ratioMin: paired.length ? Math.min(...paired) : undefined,
          ratioMax: paired.length ? Math.max(...paired) : undefined,
          values: ok.map((m) => get(m.result)),
        };
      }
      rows[name] = row;
    }
    out[sc.name] = rows;
  }
  return out;
}

// ------------------------------------------------------------------------------------ markdown
const fmt = {
  int: (v) => Math.round(v).toLocaleString('en-US'),
  ms: (v) => (v >= 100 ? v.toFixed(0) : v >= 10 ? v.toFixed(1) : v.toFixed(2)),
  us: (v) => (v >= 100 ? v.toFixed(0) : v.toFixed(1)),
  pct: (v) => `${Math.round(v)}`,
  kb: (v) => v.toFixed(1),
  mb: (v) => v.toFixed(1),
  s: (v) => v.toFixed(1),
};
const CLIENT_BOUND = 90;
/** Other processes using more than this % of a core during a measurement make it suspect. */
export const BUSY_PCT = 15;

function cell(m, f, withRatio) {
  if (!m || m.value === undefined) return '–';
  const r = withRatio && m.ratio !== undefined ? ` (${m.ratio.toFixed(2)}×)` : '';
  return `${f(m.value)}${r}`;
}

const COLUMNS = {
  rpc: [
    ['req/s', 'rps', fmt.int, true],
    ['p50 ms', 'p50', fmt.ms, true],
    ['p99 ms', 'p99', fmt.ms, true],
    ['server CPU µs/req', 'cpuUs', fmt.us, true],
    ['server user µs/req', 'userUs', fmt.us, false],
    ['server CPU %', 'serverCpuPct', fmt.pct, false],
  ],
  fanout: [
    ['fixed-rate p50 ms', 'rateP50', fmt.ms, true],
    ['fixed-rate p99 ms', 'rateP99', fmt.ms, true],
    ['burst deliveries/s', 'dps', fmt.int, true],
    ['server CPU µs/delivery', 'cpuUs', fmt.us, true],
    ['burst p99 ms', 'burstP99', fmt.ms, false],
    ['server CPU %', 'serverCpuPct', fmt.pct, false],
  ],
  client: [
    ['req/s', 'rps', fmt.int, true],
    ['load-gen CPU µs/req', 'lgUs', fmt.us, true],
    ['p50 ms', 'p50', fmt.ms, true],
    ['p99 ms', 'p99', fmt.ms, true],
    ['server CPU µs/req', 'cpuUs', fmt.us, true],
  ],
  idle: [
    ['RSS KB/conn idle', 'idleRss', fmt.kb, true],
    ['heap KB/conn idle', 'idleHeap', fmt.kb, true],
    ['RSS KB/conn subscribed', 'subRss', fmt.kb, true],
    ['heap KB/conn subscribed', 'subHeap', fmt.kb, true],
    ['baseline RSS MB', 'baseRss', fmt.mb, false],
    ['baseline heap MB', 'baseHeap', fmt.mb, false],
    ['connect s', 'connectS', fmt.s, false],
  ],
};

export function renderReport(data) {
  const S = data.summary ?? summarize(data);
  const m = data.machine;
  const L = [];
  L.push('# nestjs-socketapi benchmark', '');
  L.push(`- **Date:** ${data.date}`);
  L.push(`- **Machine:** ${m.cpuModel}, ${m.cores} cores, ${m.memGiB} GiB, ${m.kernel}; Node ${m.node}`);
  L.push(`- **Command:** \`${data.command}\`${data.elapsedS ? ` (${(data.elapsedS / 60).toFixed(1)} min)` : ''}`);
  L.push(
    `- **Pinning:** ${data.pinned ? `server on CPU ${data.pinned.server}, load generator on CPU ${data.pinned.loadgen} (\`taskset\`)` : 'none (server and load generator share the cores)'}`,
  );
  L.push(
    `- **Versions:** ${Object.entries(data.versions)
      .map(([k, v]) => `${k} ${v}`)
      .join(', ')}`,
  );
  L.push(
    `- **Method:** ${data.reps} repetition(s), interleaved (every server per scenario, order rotated per repetition), a fresh server process per measurement. Values are medians over repetitions; **(N×)** is the ratio to \`${data.ref}\` computed within each repetition, then the median. For req/s and deliveries/s higher is better; for latency, CPU and memory lower is better.`,
  );
  L.push('', '| server | what | conformance |', '|---|---|---|');
  for (const s of data.servers) {
    const c = data.conformance[s.name];
    L.push(`| ${s.name} | ${s.what} | ${c ? `${c.passed ?? 0} passed, ${c.failed ?? 0} failed` : '–'} |`);
  }
  for (const [client, c] of Object.entries(data.clientConformance ?? {}))
    L.push(
      `| ${client} (client) | a client of the client-* scenarios, on the action steps of the check against socketapi | ${c.passed ?? 0} passed, ${c.failed ?? 0} failed |`,
    );
  L.push('', '![chart](chart.svg)', '');

  const clientBound = [];
  const busy = [];
  for (const sc of data.scenarios) {
    const rows = S[sc.name];
    const cols = COLUMNS[sc.kind];
    L.push(`## ${sc.name} — ${sc.title}`, '');
    L.push(scenarioNote(sc), '');
    const extra = sc.kind === 'idle' ? [] : ['load-gen CPU % (process / core)', 'others %'];
    const { names } = rowsOf(data, sc);
    L.push(
      `| ${sc.kind === 'client' ? 'client' : 'server'} | ${cols.map((c) => c[0]).join(' | ')}${extra.length ? ' | ' + extra.join(' | ') : ''} |`,
    );
    L.push(`|---|${cols.map(() => '---:').join('|')}${extra.map(() => '|---:').join('')}|`);
    for (const name of names) {
      const row = rows[name];
      // A server a scenario does not run on (a history twin: only the library's bench app has that channel).
      if (!row || (row.n === 0 && row.errors.length === 0)) continue;
      if (row.n === 0) {
        L.push(
          `| ${name} | ${row.errors[0] ? `failed: ${escape(row.errors[0]).slice(0, 160)}` : 'not measured'} ${'| '.repeat(cols.length + extra.length - 1)}|`,
        );
        continue;
      }
      const cells = cols.map(([, key, f, ratio]) => cell(row.metrics[key], f, ratio));
      if (extra.length) {
        const p = row.metrics.lgCpuPct?.value;
        const c = row.metrics.lgCorePct?.value;
        const bound = (p ?? 0) >= CLIENT_BOUND || (c ?? 0) >= CLIENT_BOUND;
        if (bound) clientBound.push(`${sc.name}/${name}`);
        cells.push(`${p === undefined ? '–' : fmt.pct(p)} / ${c === undefined ? '–' : fmt.pct(c)}${bound ? ' ⚠' : ''}`);
        const o = row.metrics.others;
        const worst = Math.max(...(o?.values ?? []).filter((v) => typeof v === 'number'));
        if (worst > BUSY_PCT) busy.push(`${sc.name}/${name}`);
        cells.push(
          o?.value === undefined ? '–' : `${fmt.pct(o.value)}${worst > BUSY_PCT ? ` (max ${fmt.pct(worst)}) ⚠` : ''}`,
        );
      }
      const notes = [];
      if (row.metrics.errors?.value) notes.push(`${fmt.int(row.metrics.errors.value)} errors`);
      if (row.metrics.rateLost?.value) notes.push(`${fmt.int(row.metrics.rateLost.value)} lost`);
      if (row.errors.length) notes.push(`${row.errors.length} failed run(s)`);
      L.push(`| ${name}${notes.length ? ` (${notes.join(', ')})` : ''} | ${cells.join(' | ')} |`);
    }
    L.push('');
    if (sc.kind === 'client') L.push(...clientVerdict(data, sc), '');
  }
  const twins = twinRatios(data);
  if (twins.length) {
    L.push('## History twins: the channel with history ÷ the plain channel, same server', '');
    L.push(
      'Ratio taken within each repetition (the two scenarios run back to back), then the median and the range over repetitions.',
      '',
    );
    L.push(
      '| scenario | server | metric | history | plain | ratio | range | n |',
      '|---|---|---|---:|---:|---:|---|---:|',
    );
    for (const t of twins) {
      L.push(
        `| ${t.scenario} ÷ ${t.twinOf} | ${t.server} | ${t.metric} | ${fmtTwin(t.value)} | ${fmtTwin(t.twinValue)} | ${t.ratio.toFixed(3)} | ${t.min.toFixed(3)} – ${t.max.toFixed(3)} | ${t.n} |`,
      );
    }
    L.push('');
  }
  L.push('## Notes', '');
  L.push(
    `- **load-gen CPU % (process / core):** the load generator's own CPU (process.cpuUsage) and how busy its core was (/proc/stat, including softirq work that no process is charged for). ⚠ marks ≥ ${CLIENT_BOUND}%: that row is limited by the load generator (or by both sides at once), so the server may be faster than shown; compare such rows by server CPU µs per request/delivery rather than by throughput.`,
  );
  if (clientBound.length) L.push(`- **Client-bound rows in this run:** ${clientBound.join(', ')}.`);
  L.push(
    `- **others %:** CPU used by every other process on the machine during the measured window (% of one core, median over repetitions, with the worst repetition when flagged). ⚠ marks a row where some repetition saw more than ${BUSY_PCT}% even after one re-measurement: other work (a test run, a build) competed for the two cores and that row is not trustworthy.`,
  );
  if (busy.length) L.push(`- **Rows disturbed by other processes in this run:** ${busy.join(', ')}.`);
  L.push(
    "- **Server CPU µs** = (utime + stime of the server process over the measured window, from /proc/<pid>/stat) ÷ requests (or deliveries) completed in that window. On loopback, part of the TCP work of the receiving side is charged to the sending process, so both sides include some of the other's kernel time; `user µs` is the framework-only part.",
    '- Run-to-run drift on a shared 2-core VM is easily ±10–20% in absolute numbers; the ratios, taken within one repetition, are steadier. Use `--reps 5` for tighter medians.',
  );
  return L.join('\n') + '\n';
}

/** Metrics a history twin is compared on with its plain twin: [label, extractor]. */
const TWIN_METRICS = [
  ['server CPU µs/delivery', (r) => r.burst?.serverCpuUsPerUnit],
  ['server user µs/delivery', (r) => r.burst?.serverUserUsPerUnit],
  ['burst deliveries/s', (r) => r.burst?.deliveriesPerS],
  ['fixed-rate p99 ms', (r) => r.rate?.latencyMs?.p99],
];

const fmtTwin = (v) => (v >= 100 ? Math.round(v).toLocaleString('en-US') : v.toFixed(2));

/**
 * Every scenario with a `twinOf` (the same load on a channel with history), against its twin on the
 * same server: the ratio within each repetition, its median and range. Shared by the report and compare.mjs.
 */
export function twinRatios(data, onlyServer) {
  const out = [];
  const ok = data.measurements.filter((m) => !m.result.error);
  for (const sc of data.scenarios.filter((s) => s.twinOf)) {
    for (const { name: server } of data.servers) {
      if (onlyServer && server !== onlyServer) continue;
      for (const [metric, get] of TWIN_METRICS) {
        const ratios = [];
        const values = [];
        const twinValues = [];
        for (const m of ok.filter((x) => x.scenario === sc.name && x.server === server)) {
          const pair = ok.find((x) => x.scenario === sc.twinOf && x.server === server && x.rep === m.rep);
          const v = get(m.result);
          const tv = pair && get(pair.result);
          if (typeof v !== 'number' || typeof tv !== 'number' || tv === 0) continue;
          ratios.push(v / tv);
          values.push(v);
          twinValues.push(tv);
        }
        if (ratios.length === 0) continue;
        out.push({
          scenario: sc.name,
          twinOf: sc.twinOf,
          server,
          metric,
          value: median(values),
          twinValue: median(twinValues),
          ratio: median(ratios),
          min: Math.min(...ratios),
          max: Math.max(...ratios),
          n: ratios.length,
        });
      }
    }
  }
  return out;
}

/** The goal of the client scenarios: the project's client reaches this share of a hand-written client's req/s. */
const CLIENT_GOAL = 0.9;

/**
 * `get(a) ÷ get(b)` for every repetition where both clients were measured without error, in repetition
 * order; `quietOnly`: only where other processes stayed under BUSY_PCT during both measurements.
 */
function pairedRatios(data, sc, a, b, get, quietOnly = false) {
  const quiet = (m) => !quietOnly || (m.result.otherProcessesCpuPct ?? 0) <= BUSY_PCT;
  const ok = data.measurements.filter((m) => m.scenario === sc.name && !m.result.error && quiet(m));
  const ratios = [];
  for (const m of ok.filter((x) => x.client === a)) {
    const pair = ok.find((x) => x.client === b && x.rep === m.rep);
    const va = get(m.result);
    const vb = pair && get(pair.result);
    if (typeof va === 'number' && typeof vb === 'number' && vb !== 0) ratios.push(va / vb);
  }
  return ratios;
}

/**
 * Every later client against every earlier one (the list goes from the leanest reference to the project's
 * client, last): req/s and load-gen CPU µs/req, paired within each repetition; for the project's client,
 * whether it reaches the goal against each.
 */
function clientVerdict(data, sc) {
  const lines = [];
  const spread = (xs) => {
    const v = [...xs].sort((x, y) => x - y);
    const mid = v.length % 2 ? v[v.length >> 1] : (v[v.length / 2 - 1] + v[v.length / 2]) / 2;
    return { median: mid, min: v[0], max: v[v.length - 1] };
  };
  const ours = sc.clients[sc.clients.length - 1];
  sc.clients.forEach((a, i) =>
    sc.clients.slice(0, i).forEach((b) => {
      const rps = pairedRatios(data, sc, a, b, (r) => r.rps);
      const cpu = pairedRatios(data, sc, a, b, (r) => r.loadgenCpuUsPerUnit);
      if (rps.length === 0) return lines.push(`- **${a} ÷ ${b}:** not measured.`);
      const r = spread(rps);
      const c = cpu.length ? spread(cpu) : undefined;
      const met =
        a !== ours
          ? ''
          : r.min >= CLIENT_GOAL
            ? `; goal ≥ ${CLIENT_GOAL}: **met in every repetition**`
            : r.median >= CLIENT_GOAL
              ? `; goal ≥ ${CLIENT_GOAL}: met by the median, not in every repetition`
              : `; goal ≥ ${CLIENT_GOAL}: **not met**`;
      const quietRps = pairedRatios(data, sc, a, b, (r) => r.rps, true);
      const quietCpu = pairedRatios(data, sc, a, b, (r) => r.loadgenCpuUsPerUnit, true);
      const quiet =
        quietRps.length === rps.length
          ? ''
          : quietRps.length === 0
            ? ' No repetition had both measurements undisturbed by other processes.'
            : ` Undisturbed pairs only (others ≤ ${BUSY_PCT}% in both, ${quietRps.length} of ${rps.length}): req/s ` +
              `${quietRps.map((x) => x.toFixed(3)).join(', ')}, load-gen CPU µs/req ${quietCpu.map((x) => x.toFixed(2)).join(', ')}.`;
      lines.push(
        `- **${a} ÷ ${b}**, req/s per repetition: ${rps.map((x) => x.toFixed(3)).join(', ')} → median **${r.median.toFixed(3)}** ` +
          `[${r.min.toFixed(3)} – ${r.max.toFixed(3)}]${met}. Load-gen CPU µs/req: ` +
          (c ? `**${c.median.toFixed(2)}×** [${c.min.toFixed(2)} – ${c.max.toFixed(2)}]` : '–') +
          `.${quiet}`,
      );
    }),
  );
  return lines;
}

function scenarioNote(sc) {
  const lg = sc.lg;
  if (sc.kind === 'client')
    return `The same closed loop as the rpc scenarios (${lg.conns} connection(s) × ${lg.inflight} \`add\` actions outstanding; warm-up ${lg.warmupMs / 1000} s, then ${lg.measureMs / 1000} s measured), against the server \`${sc.server}\`, once per client in every repetition: \`${sc.clients[0]}\` is the load generator's hand-written adapter (the reference, the same as in the rpc rows), the others drive the actions as an application would (\`await client.action('add', { a, b })\`), with ws's and their own defaults (bench/README.md, "Clients"). **(N×)** is the ratio to \`${sc.clients[0]}\` within each repetition. **load-gen CPU µs/req** = the load generator's own CPU over the window ÷ requests: the client's cost per action, the honest figure when the server is the bottleneck.`;
  if (sc.kind === 'rpc')
    return `Closed loop: each of ${lg.conns} connection(s) keeps ${lg.inflight} \`add\` request(s) outstanding; warm-up ${lg.warmupMs / 1000} s, then ${lg.measureMs / 1000} s measured. Latency is per request, send to reply.`;
  if (sc.kind === 'fanout')
    return `${lg.subs.toLocaleString('en-US')} subscribers and 1 publisher in the load generator. Fixed rate: ${lg.rate} publishes/s (${lg.rateWarmupMs / 1000} s warm-up, ${lg.rateMeasureMs / 1000} s measured); latency = receipt − publish send time carried in the payload \`{ts, seq, pad}\` (${lg.padBytes} B pad). Burst: the publisher keeps ${lg.burstInflight} publishes not yet delivered to every subscriber; ${lg.burstWarmupMs / 1000} s warm-up, ${lg.burstMeasureMs / 1000} s measured.`;
  return `Server memory after forced GC (\`--expose-gc\`, probe over IPC): baseline, after ${lg.conns.toLocaleString('en-US')} idle connections, after each of them subscribed to \`chat\`; per connection = (after − baseline) ÷ ${lg.conns.toLocaleString('en-US')}.`;
}

const escape = (s) => String(s).replace(/\|/g, '\\|').replace(/\n/g, ' ');

// ------------------------------------------------------------------------------------ SVG chart
const COLORS = ['#2563eb', '#6b7280', '#dc2626', '#16a34a', '#9333ea', '#ea580c'];
const esc = (s) => String(s).replace(/&/g, '&amp;').replace(/</g, '&lt;').replace(/>/g, '&gt;');

/** A round axis maximum and tick step (at most 6 ticks) covering v. */
function niceScale(v) {
  if (!(v > 0)) return { max: 1, step: 0.25 };
  const p = 10 ** Math.floor(Math.log10(v / 4));
  for (const k of [1, 2, 2.5, 5, 10, 20]) {
    const step = k * p;
    const max = Math.ceil(v / step - 1e-9) * step;
    if (max / step <= 6) return { max, step };
  }
  return { max: v, step: v / 4 };
}

/** One grouped-bar panel. groups: [{label, bars: [{color, v, text}]}] */
function panel({ x, y, w, h, title, subtitle, groups, refLine, unit }) {
  const out = [];
  const top = y + 40;
  const bottom = y + h - 34;
  const left = x + 46;
  const right = x + w - 10;
  const { max, step } = niceScale(Math.max(refLine ?? 0, ...groups.flatMap((g) => g.bars.map((b) => b.v ?? 0))) * 1.08);
  const Y = (v) => bottom - ((bottom - top) * v) / max;
  out.push(`<text x="${x + 4}" y="${y + 16}" class="t">${esc(title)}</text>`);
  if (subtitle) out.push(`<text x="${x + 4}" y="${y + 31}" class="s">${esc(subtitle)}</text>`);
  const ticks = Math.round(max / step);
  for (let i = 0; i <= ticks; i++) {
    const v = step * i;
    const yy = Y(v).toFixed(1);
    out.push(`<line x1="${left}" x2="${right}" y1="${yy}" y2="${yy}" class="g"/>`);
    out.push(
      `<text x="${left - 5}" y="${(+yy + 4).toFixed(1)}" class="a" text-anchor="end">${+v.toFixed(2)}${unit ?? ''}</text>`,
    );
  }
  const gw = (right - left) / Math.max(1, groups.length);
  groups.forEach((g, gi) => {
    const n = g.bars.length;
    const bw = Math.min(34, (gw * 0.8) / Math.max(1, n));
    const gx = left + gi * gw + (gw - bw * n) / 2;
    g.bars.forEach((b, bi) => {
      const bx = gx + bi * bw;
      if (b.v === undefined || !Number.isFinite(b.v)) {
        out.push(`<text x="${(bx + bw / 2).toFixed(1)}" y="${bottom - 3}" class="v" text-anchor="middle">–</text>`);
        return;
      }
      const by = Y(b.v);
      out.push(
        `<rect x="${(bx + 1).toFixed(1)}" y="${by.toFixed(1)}" width="${(bw - 2).toFixed(1)}" height="${(bottom - by).toFixed(1)}" fill="${b.color}"><title>${esc(b.title ?? b.text)}</title></rect>`,
      );
      const small = bw < 24 ? ` style="font-size:7px"` : bw < 30 ? ` style="font-size:8px"` : '';
      out.push(
        `<text x="${(bx + bw / 2).toFixed(1)}" y="${(by - 3).toFixed(1)}" class="v" text-anchor="middle"${small}>${esc(b.text)}</text>`,
      );
    });
    out.push(
      `<text x="${(left + gi * gw + gw / 2).toFixed(1)}" y="${bottom + 15}" class="a" text-anchor="middle">${esc(g.label)}</text>`,
    );
    if (g.sub)
      out.push(
        `<text x="${(left + gi * gw + gw / 2).toFixed(1)}" y="${bottom + 27}" class="s" text-anchor="middle">${esc(g.sub)}</text>`,
      );
  });
  if (refLine !== undefined) {
    const yy = Y(refLine).toFixed(1);
    out.push(`<line x1="${left}" x2="${right}" y1="${yy}" y2="${yy}" class="r"/>`);
  }
  out.push(`<line x1="${left}" x2="${right}" y1="${bottom}" y2="${bottom}" class="ax"/>`);
  return out.join('\n');
}

export function renderChart(data) {
  const S = data.summary ?? summarize(data);
  const servers = data.servers.map((s, i) => ({ name: s.name, color: COLORS[i % COLORS.length] }));
  const W = 980;
  const parts = [];
  let y = 44;

  let marked = false;
  const ratioBars = (rows, key, markBound) =>
    servers.map((s) => {
      const row = rows?.[s.name]?.metrics;
      const m = row?.[key];
      // * = the load generator was the (or a) bottleneck for this bar
      const bound =
        markBound && ((row?.lgCpuPct?.value ?? 0) >= CLIENT_BOUND || (row?.lgCorePct?.value ?? 0) >= CLIENT_BOUND);
      if (bound && m?.ratio !== undefined) marked = true;
      const text = m?.ratio !== undefined ? m.ratio.toFixed(2) + (bound ? '*' : '') : '';
      return {
        color: s.color,
        v: m?.ratio,
        text,
        title: `${s.name}: ${m?.value ?? '–'} (${m?.ratio?.toFixed(2) ?? '–'}× ${data.ref})${bound ? ', load generator ≥ 90% busy' : ''}`,
      };
    });

  const rpc = data.scenarios.filter((s) => s.kind === 'rpc');
  if (rpc.length) {
    const groups = rpc.map((sc) => ({
      label: sc.name.replace(/^rpc-/, ''),
      sub: `${data.ref} ${fmt.int(S[sc.name]?.[data.ref]?.metrics.rps.value ?? 0)}/s`,
      bars: ratioBars(S[sc.name], 'rps', true),
    }));
    parts.push(
      panel({
        x: 10,
        y,
        w: W - 20,
        h: 280,
        title: `RPC requests/s, ratio to ${data.ref} (higher is better)`,
        subtitle: 'c = connections, w = requests in flight per connection; median over repetitions',
        groups,
        refLine: 1,
      }),
    );
    y += 290;
  }
  // History twins are compared with their plain twin (see twinRatios), not charted against the reference.
  const fan = data.scenarios.filter((s) => s.kind === 'fanout' && !s.twinOf);
  const idle = data.scenarios.filter((s) => s.kind === 'idle');
  // side by side when both are small, else one full-width row each
  const sideBySide = fan.length <= 1 && idle.length <= 1 && fan.length + idle.length === 2;
  const half = (W - 30) / 2;
  if (fan.length) {
    const groups = [];
    for (const sc of fan) {
      const tag = sc.name.replace(/^fanout-/, '');
      groups.push({ label: `${tag} deliveries/s`, sub: '↑ better', bars: ratioBars(S[sc.name], 'dps', true) });
      groups.push({ label: `${tag} CPU µs/delivery`, sub: '↓ better', bars: ratioBars(S[sc.name], 'cpuUs', false) });
    }
    parts.push(
      panel({
        x: 10,
        y,
        w: sideBySide ? half : W - 20,
        h: 260,
        title: `Fan-out burst, ratio to ${data.ref}`,
        subtitle: '* = client-bound: compare CPU µs/delivery',
        groups,
        refLine: 1,
      }),
    );
    if (!sideBySide) y += 270;
  }
  if (idle.length) {
    const groups = [];
    for (const sc of idle) {
      const bars = (key) =>
        servers.map((s) => {
          const m = S[sc.name]?.[s.name]?.metrics?.[key];
          return {
            color: s.color,
            v: m?.value,
            text: m?.value !== undefined ? m.value.toFixed(1) : '',
            title: `${s.name}: ${m?.value?.toFixed(2) ?? '–'} KB`,
          };
        });
      const tag = sc.name.replace(/^idle-/, '');
      const many = idle.length > 1 ? ` ${tag}` : '';
      groups.push({ label: `heap, idle${many}`, bars: bars('idleHeap') });
      groups.push({ label: `heap, subscribed${many}`, bars: bars('subHeap') });
      groups.push({ label: `RSS, idle${many}`, bars: bars('idleRss') });
      groups.push({ label: `RSS, subscribed${many}`, bars: bars('subRss') });
    }
    parts.push(
      panel({
        x: sideBySide ? 20 + half : 10,
        y,
        w: sideBySide ? half : W - 20,
        h: 260,
        title: 'Server memory per connection, KB (lower is better)',
        subtitle: `after forced GC; ${idle.map((sc) => sc.lg.conns.toLocaleString('en-US')).join(' / ')} connections`,
        groups,
      }),
    );
    y += 270;
  } else if (sideBySide) y += 270;
  const legend = servers
    .map(
      (s, i) =>
        `<rect x="${14 + i * 150}" y="20" width="12" height="12" fill="${s.color}"/><text x="${30 + i * 150}" y="30" class="a">${esc(s.name)}</text>`,
    )
    .join('\n');
  const H = y + 24;
  return `<svg xmlns="http://www.w3.org/2000/svg" width="${W}" height="${H}" viewBox="0 0 ${W} ${H}" font-family="system-ui, -apple-system, Segoe UI, Helvetica, Arial, sans-serif">
<style>
.t{font-size:14px;font-weight:600;fill:#111}.s{font-size:10px;fill:#666}.a{font-size:11px;fill:#333}.v{font-size:9.5px;fill:#222}
.g{stroke:#e5e7eb;stroke-width:1}.ax{stroke:#9ca3af;stroke-width:1}.r{stroke:#111;stroke-width:1;stroke-dasharray:4 3}
</style>
<rect width="100%" height="100%" fill="#fff"/>
${legend}
<text x="${W - 10}" y="30" class="s" text-anchor="end">${esc(`${data.date.slice(0, 16).replace('T', ' ')} · ${data.machine.cores} cores · Node ${data.machine.node} · ${data.reps} rep(s)`)}</text>
${parts.join('\n')}
<text x="10" y="${H - 8}" class="s">dashed line = ${esc(data.ref)} (1.0×)${marked ? `; * = load generator ≥ ${CLIENT_BOUND}% busy (client-bound: compare CPU µs instead)` : ''}. Generated by bench/run.mjs.</text>
</svg>
`;
}
