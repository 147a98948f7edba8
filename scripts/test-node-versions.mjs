// The tests on the Node versions users run (package.json's "engines"): the whole suite on the
// active LTS, and on the other supported majors (and on the Node running this script, when it is
// another one) the files whose outcome depends most on the runtime: the protocol over real sockets,
// the module's setup, the sample app, the packed tarball loaded by CommonJS and ESM apps, the
// library's own HTTP routes (the docs page's, on Express and Fastify), and the client package.
// Node binaries come from the npm registry (the `node` package, through npx, cached after the first
// run). Every run goes on after a failure, so that one report covers every version; the exit code
// is 1 if any failed. Arguments are passed on to every Jest run (e.g. `--silent`).
import { execFileSync, spawnSync } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { createRequire } from 'node:module';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';

/** The active LTS: the whole suite. */
const FULL_SUITE_NODE = '26';
/** The other supported majors: the subset. */
const SUBSET_NODES = ['22', '24'];
const SUBSET = [
  'test/protocol.e2e.spec.ts',
  'test/module.e2e.spec.ts',
  'test/sample.e2e.spec.ts',
  'test/package.e2e.spec.ts',
  'test/docs/page-serving.e2e.spec.ts',
  // The client on each platform's WebSocket (Node 20: ws; 22+: the global one, undici's).
  'test/client-package.e2e.spec.ts',
  'test/client/actions.e2e.spec.ts',
  'test/client/reconnect.e2e.spec.ts',
];

const root = join(dirname(fileURLToPath(import.meta.url)), '..');
const jest = createRequire(import.meta.url).resolve('jest/bin/jest');
const extraArgs = process.argv.slice(2);

/** The binary of the newest `major` on the registry (npx installs the `node` package once). */
function nodeBinary(major) {
  return execFileSync('npx', ['--yes', `node@${major}`, '-p', 'process.execPath'], { encoding: 'utf8' }).trim();
}

const runs = [{ major: FULL_SUITE_NODE, files: [] }, ...SUBSET_NODES.map((major) => ({ major, files: SUBSET }))];
const current = process.versions.node.split('.')[0];
if (!runs.some((run) => run.major === current)) runs.push({ major: current, files: SUBSET, binary: process.execPath });

// The package is packed once (`prepack` builds it), and every version's packaging test installs this tarball.
const packDir = mkdtempSync(join(tmpdir(), 'socketapi-pack-'));
const packed = execFileSync('npm', ['pack', '--json', '--pack-destination', packDir], { cwd: root, encoding: 'utf8' });
const tarball = join(packDir, JSON.parse(packed.slice(packed.search(/^\[/m)))[0].filename);

const results = [];
for (const run of runs) {
  const binary = run.binary ?? nodeBinary(run.major);
  const version = execFileSync(binary, ['--version'], { encoding: 'utf8' }).trim();
  const what = run.files.length === 0 ? 'the whole suite' : `${run.files.length} files`;
  console.log(`\n=== Node ${version}: ${what} ===\n`);
  const started = Date.now();
  const { status } = spawnSync(binary, [jest, ...run.files, ...extraArgs], {
    cwd: root,
    stdio: 'inherit',
    env: {
      ...process.env,
      NODE_OPTIONS: '--experimental-vm-modules',
      SOCKETAPI_PACKED_TARBALL: tarball,
      // The subset skips what every Node answers alike (type checks: test/support/node-subset.ts).
      SOCKETAPI_NODE_SUBSET: run.files.length === 0 ? '' : '1',
    },
  });
  results.push({ version, what, passed: status === 0, seconds: Math.round((Date.now() - started) / 1000) });
}

rmSync(packDir, { recursive: true, force: true });

console.log('\nNode versions:');
for (const { version, what, passed, seconds } of results) {
  console.log(`  ${passed ? 'PASS' : 'FAIL'} Node ${version}, ${what} (${seconds} s)`);
}
process.exitCode = results.every((result) => result.passed) ? 0 : 1;
