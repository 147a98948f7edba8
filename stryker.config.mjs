// Mutation testing of the security-relevant code: `npm run test:mutation`. Not part of `npm test`
// nor of CI. Reports go to reports/mutation/ (git-ignored).
/** @type {import('@stryker-mutator/api/core').PartialStrykerOptions} */
export default {
  testRunner: 'jest',
  jest: {
    projectType: 'custom',
    configFile: 'jest.config.ts',
    // Over jest.config.ts: only the tests that cover the mutated files. Left out: the benchmark, the
    // package test (it builds and packs), and the suites that time real servers for many seconds
    // (liveness, slow consumers, churn, memory), which cover timers rather than the mutated decisions.
    config: {
      testMatch: [
        '<rootDir>/test/unit/**/*.spec.ts',
        '<rootDir>/test/auth/**/*.spec.ts',
        '<rootDir>/test/hardening/**/*.spec.ts',
        '<rootDir>/test/scale/broadcast*.spec.ts',
        '<rootDir>/test/protocol.e2e.spec.ts',
      ],
      testPathIgnorePatterns: ['/node_modules/', '/liveness\\.', '/slow-consumer\\.', '/churn\\.', '/memory'],
      reporters: ['default'],
    },
    enableFindRelatedTests: false,
  },
  // The tests run as ES modules (Nest 12 is ESM only), as `npm test` runs them.
  testRunnerNodeArgs: ['--experimental-vm-modules'],
  // perTest works with ESM here: each mutant runs only the tests that reached it.
  coverageAnalysis: 'perTest',
  // A mutant of a module-level constant (the message types, the JWT algorithm sets, a header RegExp)
  // is "static": every test would have to run for it, which alone would take longer than the rest of
  // the run. They are left out; `npx stryker run --ignoreStatic false` includes them.
  ignoreStatic: true,
  mutate: [
    'lib/gateway/handshake-verifier.ts',
    'lib/gateway/origin-policy.ts',
    'lib/gateway/request-parsing.ts',
    'lib/gateway/rate-limiter.ts',
    'lib/gateway/message-dispatcher.ts',
    'lib/auth/**/*.ts',
    'lib/broadcast/broadcast-access.ts',
    'lib/broadcast/broadcast-bridge.ts',
    'lib/protocol/parse-client-message.ts',
    'lib/options/**/*.ts',
    '!lib/**/*.interface.ts',
  ],
  // Real servers on loopback: a mutant that hangs a handshake must time out, not a slow machine.
  timeoutMS: 30000,
  timeoutFactor: 3,
  concurrency: 2,
  reporters: ['clear-text', 'progress', 'html', 'json'],
  htmlReporter: { fileName: 'reports/mutation/mutation.html' },
  jsonReporter: { fileName: 'reports/mutation/mutation.json' },
  tempDirName: '.stryker-tmp',
  ignorePatterns: ['dist', 'coverage', 'reports', 'bench/results', '.stryker-tmp'],
  thresholds: { high: 90, low: 80, break: null },
};
