// Paired before/after comparison of two servers of one `npm run bench` run:
//
//   node bench/compare.mjs bench/results/<timestamp> [A [B]]     (default: socketapi socketapi-baseline)
//
// For every scenario and metric, the ratio A/B is taken within each repetition (both were measured
// back to back, on the same machine state), then the median and the range over repetitions are
// printed: the spread is what tells a change from run-to-run drift. History twins (fanout-1k-history …) are
// also compared with their plain twin on each of A and B.
import fs from 'node:fs';
import path from 'node:path';
import { twinRatios } from './lib/report.mjs';

const [dir, a = 'socketapi', b = 'socketapi-baseline'] = process.argv.slice(2);
if (!dir) {
  console.error('usage: node bench/compare.mjs <results dir> [A] [B]');
  process.exit(2);
}
const data = JSON.parse(fs.readFileSync(path.join(dir, 'results.json'), 'utf8'));

const METRICS = {
  rpc: { 'req/s': (r) => r.rps, 'CPU µs/req': (r) => r.serverCpuUsPerUnit, 'p50 ms': (r) => r.latencyMs?.p50 },
  fanout: {
    'deliveries/s': (r) => r.burst?.deliveriesPerS,
    'CPU µs/delivery': (r) => r.burst?.serverCpuUsPerUnit,
    'rate p99 ms': (r) => r.rate?.latencyMs?.p99,
  },
  idle: { 'heap KB/conn': (r) => r.perConn?.connected?.heapKB, 'RSS KB/conn': (r) => r.perConn?.connected?.rssKB },
};

const median = (xs) => {
  const v = [...xs].sort((x, y) => x - y);
  const m = v.length >> 1;
  return v.length % 2 ? v[m] : (v[m - 1] + v[m]) / 2;
};

console.log(`${a} / ${b}, ratio within each repetition: median [min – max] (n repetitions)\n`);
console.log(`| scenario | metric | ${a} | ${b} | ratio | range | n |`);
console.log('|---|---|---:|---:|---:|---|---:|');
for (const scenario of data.scenarios) {
  const measured = data.measurements.filter((m) => m.scenario === scenario.name && !m.result.error);
  for (const [label, get] of Object.entries(METRICS[scenario.kind] ?? {})) {
    const ratios = [];
    const valuesA = [];
    const valuesB = [];
    for (const m of measured.filter((x) => x.server === a)) {
      const pair = measured.find((x) => x.server === b && x.rep === m.rep);
      const va = get(m.result);
      const vb = pair && get(pair.result);
      if (typeof va !== 'number' || typeof vb !== 'number' || vb === 0) continue;
      ratios.push(va / vb);
      valuesA.push(va);
      valuesB.push(vb);
    }
    if (ratios.length === 0) continue;
    const f = (v) => (v >= 100 ? Math.round(v).toLocaleString('en-US') : v.toFixed(2));
    console.log(
      `| ${scenario.name} | ${label} | ${f(median(valuesA))} | ${f(median(valuesB))} | ${median(ratios).toFixed(3)} | ` +
        `${Math.min(...ratios).toFixed(3)} – ${Math.max(...ratios).toFixed(3)} | ${ratios.length} |`,
    );
  }
}

const twins = [...twinRatios(data, a), ...twinRatios(data, b)];
if (twins.length) {
  console.log('\nHistory twins: channel with history / plain channel, same server, ratio within each repetition\n');
  console.log('| scenario | server | metric | history | plain | ratio | range | n |');
  console.log('|---|---|---|---:|---:|---:|---|---:|');
  const f = (v) => (v >= 100 ? Math.round(v).toLocaleString('en-US') : v.toFixed(2));
  for (const t of twins) {
    console.log(
      `| ${t.scenario} / ${t.twinOf} | ${t.server} | ${t.metric} | ${f(t.value)} | ${f(t.twinValue)} | ${t.ratio.toFixed(3)} | ` +
        `${t.min.toFixed(3)} – ${t.max.toFixed(3)} | ${t.n} |`,
    );
  }
}
