#!/usr/bin/env node
// What Redis spends on one history append (lib/broker/redis-history-scripts.ts's APPEND_SCRIPT) against one
// plain PUBLISH, and what each candidate lever would save: `redis-benchmark` (4 connections, 16 pipelined)
// against a private redis-server, every variant once per repetition (interleaved), operations/s median and
// range. The variants drop or loosen one command of the script; they show costs, they are not correct
// replacements (each changes a guarantee: expiry after the last publication, or the exact `size` bound).
//
//   npx tsc -p tsconfig.build.json && node bench/scale/append-cost.mjs [--requests 100000] [--reps 5]
import { execFileSync, spawnSync } from 'node:child_process';
import { APPEND_SCRIPT } from '../../dist/lib/broker/redis-history-scripts.js';
import { startRedis } from './processes.mjs';

const args = process.argv.slice(2);
const option = (name, fallback) => {
  const index = args.indexOf(`--${name}`);
  return index === -1 ? fallback : args[index + 1];
};
const REQUESTS = Number(option('requests', 100_000));
const REPS = Number(option('reps', 5));

const redis = await startRedis();
const cli = (...command) =>
  execFileSync('redis-cli', ['-p', String(redis.port), ...command], { encoding: 'utf8' }).trim();
const without = (script, line) => script.replace(`${line}\n`, '');
const variants = {
  'APPEND script': APPEND_SCRIPT,
  'without PEXPIRE meta': without(APPEND_SCRIPT, "redis.call('PEXPIRE', KEYS[2], ARGV[4])"),
  'without both PEXPIRE': without(
    without(APPEND_SCRIPT, "redis.call('PEXPIRE', KEYS[2], ARGV[4])"),
    "redis.call('PEXPIRE', KEYS[1], ARGV[3])",
  ),
  'MAXLEN ~ (approximate)': APPEND_SCRIPT.replace("'MAXLEN', ARGV[2]", "'MAXLEN', '~', ARGV[2]"),
};
const shas = Object.fromEntries(Object.entries(variants).map(([name, lua]) => [name, cli('SCRIPT', 'LOAD', lua)]));
const data = JSON.stringify({ seq: 123456, t: 1234567.891, pad: 'x'.repeat(40) });
const header = 'h1 0123456789abcdef\n';

/** Operations per second of one redis-benchmark run of `command`. */
function opsPerSecond(command) {
  const { stdout } = spawnSync(
    'redis-benchmark',
    ['-p', String(redis.port), '-c', '4', '-P', '16', '-n', String(REQUESTS), '-q', ...command],
    { encoding: 'utf8' },
  );
  return Number(/([\d.]+) requests per second/.exec(stdout)?.[1]);
}

const samples = { PUBLISH: [], ...Object.fromEntries(Object.keys(variants).map((name) => [name, []])) };
for (let rep = 0; rep < REPS; rep++) {
  samples.PUBLISH.push(opsPerSecond(['PUBLISH', 'bench:chat', `${header}1 e\n${data}`]));
  for (const [name, sha] of Object.entries(shas)) {
    const keys = [`bench:{${name}}:h`, `bench:{${name}}:m`];
    const argv = [data, '1000', '300000', '3600000', 'bench:chat', header, 'epoch.1', 'incarnation'];
    samples[name].push(opsPerSecond(['EVALSHA', sha, '2', ...keys, ...argv]));
  }
}
redis.child.kill('SIGTERM');

const median = (values) => [...values].sort((a, b) => a - b)[values.length >> 1];
const script = median(samples['APPEND script']);
console.log(`${redis.version.split(' ').slice(0, 3).join(' ')}, ${REQUESTS} requests × ${REPS} repetitions\n`);
console.log('| command | operations/s (median) | range | µs each | ÷ APPEND script |');
console.log('|---|---:|---|---:|---:|');
for (const [name, values] of Object.entries(samples)) {
  const ops = median(values);
  console.log(
    `| ${name} | ${Math.round(ops).toLocaleString('en-US')} | ${Math.round(Math.min(...values)).toLocaleString('en-US')}–` +
      `${Math.round(Math.max(...values)).toLocaleString('en-US')} | ${(1e6 / ops).toFixed(1)} | ${(ops / script).toFixed(2)} |`,
  );
}
process.exit(0);
