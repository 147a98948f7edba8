// Reading callgrind dumps (bench/profile.mjs, bench/frame-path.mjs): `callgrind_annotate` self costs,
// divided by the number of requests or frames the dump covers.
import { execFileSync } from 'node:child_process';
import fs from 'node:fs';

// Where the instructions of a callgrind dump go, by kind of code (first matching pattern wins).
const CALLGRIND_KINDS = [
  ['JS (JIT-compiled code)', /^\?\?\?:0x/],
  ['V8 compiler', /v8::internal::(compiler|maglev|baseline)::|Compil|Pipeline/],
  ['GC', /Heap|Scaveng|GC|Mark|Sweep|Evacuat|Remembered|IterateObjectCache|Visit|Worklist|Allocat|Page/],
  ['JSON.parse', /JsonParser/],
  ['JSON.stringify', /JsonStringifier/],
  ['V8 builtins', /Builtins_/],
  ['libc', /libc\.so/],
  ['other native (V8 runtime, Node, libuv)', /./],
];

/**
 * Instructions per unit (request, frame) of a callgrind dump: by kind of code, and the top functions
 * (self cost). JIT-compiled code has no symbols: with the map V8 writes under `--perf-basic-prof`
 * (/tmp/perf-<pid>.map), its addresses are named after their JS functions.
 */
export function summarizeCallgrind(file, units, top = 25, perfMap = undefined) {
  const nameOf = perfMap && fs.existsSync(perfMap) ? jitNames(perfMap) : () => undefined;
  const text = execFileSync('callgrind_annotate', ['--inclusive=no', '--threshold=100', file], {
    encoding: 'utf8',
    maxBuffer: 1 << 28,
  });
  const kinds = new Map(CALLGRIND_KINDS.map(([kind]) => [kind, 0]));
  const rows = [];
  for (const line of text.split('\n')) {
    const m = line.match(/^\s*([\d,]+) \([ \d.]+%\)\s+(.*)$/);
    if (!m || m[2] === 'PROGRAM TOTALS') continue;
    const ir = Number(m[1].replaceAll(',', '')) / units;
    const [kind] = CALLGRIND_KINDS.find(([, re]) => re.test(m[2]));
    kinds.set(kind, kinds.get(kind) + ir);
    const address = m[2].match(/^\?\?\?:(0x[0-9a-f]+)/);
    const fn = (address && nameOf(Number(address[1]))) || m[2].replace(/\s*\[[^\]]*\]$/, '').replace(/^\?\?\?:/, '');
    const row = rows.find((r) => r.fn === fn);
    if (row) row.ir += ir;
    else rows.push({ fn: fn.slice(0, 120), ir });
  }
  rows.sort((a, b) => b.ir - a.ir);
  return {
    byKind: Object.fromEntries([...kinds].map(([k, v]) => [k, Math.round(v)])),
    top: rows.slice(0, top).map(({ fn, ir }) => ({ fn, ir: Math.round(ir) })),
  };
}

/** Address → JS function name, from a `--perf-basic-prof` map (`start size name` per line, hex). */
function jitNames(perfMap) {
  const ranges = fs
    .readFileSync(perfMap, 'utf8')
    .split('\n')
    .filter(Boolean)
    .map((line) => {
      const [start, size, ...name] = line.split(' ');
      return [parseInt(start, 16), parseInt(size, 16), name.join(' ')];
    })
    .sort((a, b) => a[0] - b[0]);
  return (address) => {
    let lo = 0;
    let hi = ranges.length - 1;
    while (lo <= hi) {
      const mid = (lo + hi) >> 1;
      const [start, size, name] = ranges[mid];
      if (address < start) hi = mid - 1;
      else if (address >= start + size) lo = mid + 1;
      else return name;
    }
    return undefined;
  };
}
