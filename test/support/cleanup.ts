/**
 * Resources a test opens (apps, clients, redis-servers, child processes) are closed by an
 * `afterEach`, not at the end of the test body, so that a test that fails (an assertion, a timeout)
 * leaves nothing listening for the tests after it.
 */

/** Something with a `close()`: a TestApp, an ioredis client, a server. */
export interface Closeable {
  close(): unknown;
}

// Function-valued properties rather than methods: `clients.forEach(cleanup.track)` needs no `this`.
export interface Cleanup {
  /** Runs `closer` after the current test, passed or failed. Closers run in reverse order of registration. */
  readonly add: (closer: () => unknown) => void;
  /** Closes `resource` after the current test; returns it, so that it can wrap the expression that opens it. */
  readonly track: <T extends Closeable>(resource: T) => T;
}

/**
 * Registers an `afterEach` that runs the closers added during each test (its `beforeEach` hooks
 * included), the last added first: a client before the app it is connected to. Every closer runs
 * even when one fails; the first failure then fails the hook. Call it at the top of a test file (or
 * of a `describe`). What a `beforeAll` opens for several tests is closed by an `afterAll` instead.
 */
export function useCleanup(): Cleanup {
  const closers: Array<() => unknown> = [];
  let inTest = false;
  beforeEach(() => {
    inTest = true;
  });
  afterEach(async () => {
    inTest = false;
    const errors: unknown[] = [];
    for (let closer = closers.pop(); closer !== undefined; closer = closers.pop()) {
      try {
        await closer();
      } catch (error) {
        errors.push(error);
      }
    }
    if (errors.length > 0) throw errors[0];
  });
  const add = (closer: () => unknown): void => {
    // Added in a beforeAll, it would be closed after the first test and not by the afterAll.
    if (!inTest) throw new Error('cleanup: added outside a test; close what a beforeAll opens in an afterAll');
    closers.push(closer);
  };
  return {
    add,
    track: (resource) => {
      add(() => resource.close());
      return resource;
    },
  };
}
