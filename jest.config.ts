import type { Config } from 'jest';

// Nest 12 ships ESM only, so tests run as ES modules (NODE_OPTIONS=--experimental-vm-modules,
// set by `npm test`). Type checking is `npm run typecheck`'s job; ts-jest only transpiles.
const config: Config = {
  testEnvironment: 'node',
  extensionsToTreatAsEsm: ['.ts'],
  moduleNameMapper: { '^(\\.{1,2}/.*)\\.js$': '$1' },
  transform: {
    '^.+\\.ts$': ['ts-jest', { useESM: true, tsconfig: 'tsconfig.json' }],
  },
  testMatch: ['<rootDir>/test/**/*.spec.ts'],
  // Builds the docs page's and the sample page's bundles (dist/docs-ui/, dist/sample-page/).
  globalSetup: '<rootDir>/test/support/build-browser-bundles.mjs',
  testTimeout: 20000,
  // Several suites time real servers (heartbeats, slow consumers, a Redis outage): on a 2-core
  // machine they run one file at a time rather than fight over the cores.
  maxWorkers: 1,
  reporters: ['default', '<rootDir>/test/support/summary-reporter.js'],
};

export default config;
