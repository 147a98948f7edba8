// One group of mutation testing (see groups.mjs), chosen by MUTATION_GROUP; `npm run test:mutation`
// (mutation/run.mjs) runs every group. Not part of `npm test` nor of CI. Reports: reports/mutation/.
import { GROUPS } from './groups.mjs';

const name = process.env.MUTATION_GROUP ?? 'units';
const group = GROUPS[name];
if (!group) throw new Error(`MUTATION_GROUP must be one of: ${Object.keys(GROUPS).join(', ')}`);

/** @type {import('@stryker-mutator/api/core').PartialStrykerOptions} */
export default {
  testRunner: 'jest',
  jest: {
    projectType: 'custom',
    configFile: 'jest.config.ts',
    // Over jest.config.ts: only the group's tests.
    config: { testMatch: group.tests.map((glob) => `<rootDir>/${glob}`), reporters: ['default'] },
    enableFindRelatedTests: false,
  },
  // The tests run as ES modules (Nest 12 is ESM only), as `npm test` runs them.
  testRunnerNodeArgs: ['--experimental-vm-modules'],
  // perTest works with ESM here: each mutant runs only the tests that reached it.
  coverageAnalysis: 'perTest',
  // A mutant of a module-level constant (the message types, the JWT algorithm sets, a header RegExp)
  // is "static": every test of the group would run for it. They are left out to keep the run short;
  // `MUTATION_GROUP=units npx stryker run mutation/stryker.config.mjs --ignoreStatic false` has them.
  ignoreStatic: true,
  mutate: [...group.mutate, '!lib/**/*.interface.ts'],
  // Real servers on loopback: a mutant that hangs a handshake must time out, not a slow machine.
  timeoutMS: 30000,
  timeoutFactor: 3,
  concurrency: 2,
  reporters: ['clear-text', 'progress-append-only', 'html', 'json'],
  htmlReporter: { fileName: `reports/mutation/${name}.html` },
  jsonReporter: { fileName: `reports/mutation/${name}.json` },
  tempDirName: '.stryker-tmp',
  ignorePatterns: ['dist', 'coverage', 'reports', 'bench/results', '.stryker-tmp'],
  thresholds: { high: 90, low: 80, break: null },
};
