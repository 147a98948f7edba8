// Which tests run against which mutated files. Stryker runs, for each mutant, the tests that reached
// it; but the parser, the inbound queue and the handshake are reached by every end-to-end test, so one
// run over everything would rerun the whole suite for each of their mutants (hours here). Each group
// pairs files with the tests written for them, and runs on its own.
export const GROUPS = {
  // Pure functions with unit tests: fast.
  units: {
    mutate: [
      'lib/protocol/parse-client-message.ts',
      'lib/broadcast/broadcast-access.ts',
      'lib/network/bearer-token.ts',
      'lib/auth/jwt.authenticator.ts',
      'lib/auth/api-key.authenticator.ts',
      'lib/auth/handshake-values.ts',
      'lib/network/ip-addresses.ts',
      'lib/network/client-address.ts',
      'lib/network/origin-policy.ts',
      'lib/network/request-parsing.ts',
    ],
    tests: ['test/unit/**/*.spec.ts'],
  },
  // The options: validator (many mutants, every message), defaults and their resolution; fast unit suites.
  options: {
    mutate: ['lib/options/**/*.ts'],
    tests: ['test/unit/validate-options.spec.ts', 'test/unit/resolve-options.spec.ts'],
  },
  // The handshake (connection limits, timeout, authentication, connect guards) and renewal. The pure
  // parts it uses (origin policy, addresses, request parsing, options) are in `units`.
  handshake: {
    mutate: [
      'lib/gateway/handshake-verifier.ts',
      'lib/gateway/connection-identities.ts',
      'lib/auth/connect-guards.ts',
      'lib/auth/accepted-identity.ts',
    ],
    tests: [
      'test/hardening/{handshake,credentials,renewal,origin,options}*.spec.ts',
      'test/unit/{origin,request,options,validate}*.spec.ts',
    ],
  },
  // Limits on frames: rate limit, waiting frames, refusals.
  limits: {
    mutate: ['lib/gateway/rate-limiter.ts', 'lib/gateway/inbound-queue.ts'],
    tests: ['test/hardening/{limits,rate-limit,pending,refused,channel-order}*.spec.ts'],
  },
  // What comes from Redis: the envelope, the frame check, the bound on what waits for Redis.
  redis: {
    mutate: ['lib/broker/redis-envelope.ts', 'lib/channels/remote-frame.ts', 'lib/broker/publish-window.ts'],
    tests: ['test/scale/{redis-input,hung-redis}*.spec.ts', 'test/unit/envelope*.spec.ts'],
  },
  // The HTTP bridge (its end-to-end tests need redis-server; without it they are skipped).
  bridge: {
    mutate: ['lib/broadcast/broadcast-bridge.ts', 'lib/network/serve-ahead.ts'],
    tests: ['test/scale/broadcast*.spec.ts', 'test/**/*bridge*.spec.ts', 'test/docs/page-serving*.spec.ts'],
  },
  // The docs page's routes: methods, paths, the token, headers (HTTP tests on Express and Fastify).
  docsRoutes: {
    mutate: ['lib/docs/docs-server.ts', 'lib/docs/page-shell.ts', 'lib/docs/page-bundle.ts'],
    tests: ['test/docs/page-serving*.spec.ts'],
  },
};
