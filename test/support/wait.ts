/**
 * The one set of waiting helpers of the tests: wait until something holds, failing after a timeout
 * with an error that names what was awaited (and, where given, the state seen last).
 */

export interface WaitOptions {
  /** Fails after this long. Default: 5000 ms. */
  timeoutMs?: number;
  /** What is awaited, named in the timeout error. */
  what?: string;
  /** The state worth seeing when the wait times out (frames received, counters...). */
  detail?: () => string;
  /** Polling interval (`waitFor`, `eventually`). Default: 10 ms. */
  intervalMs?: number;
}

const DEFAULT_TIMEOUT_MS = 5000;
const DEFAULT_INTERVAL_MS = 10;

export const sleep = (ms: number): Promise<void> => new Promise((resolve) => setTimeout(resolve, ms));

/**
 * Polls `condition` until it holds. A condition that throws has not held yet (a connection refused
 * while the server is still busy, say); the last error is named if the wait times out.
 */
export async function waitFor(condition: () => boolean | Promise<boolean>, options: WaitOptions = {}): Promise<void> {
  await eventually(condition, Boolean, options);
}

/**
 * Polls `read` until `check` holds for the value it gave, and resolves with that value. The timeout
 * error names the last value read (or the last error `read` threw).
 */
export async function eventually<T>(
  read: () => T | Promise<T>,
  check: (value: T) => boolean,
  options: WaitOptions = {},
): Promise<T> {
  const deadline = Date.now() + (options.timeoutMs ?? DEFAULT_TIMEOUT_MS);
  let last: string;
  for (;;) {
    try {
      const value = await read();
      if (check(value)) return value;
      last = `last value ${JSON.stringify(value)}`;
    } catch (error) {
      last = `last error ${String(error)}`;
    }
    if (Date.now() > deadline) throw timeout(options, last);
    await sleep(options.intervalMs ?? DEFAULT_INTERVAL_MS);
  }
}

/**
 * Waits driven by events rather than polling, for an object whose state changes on events (a
 * client receiving frames): it calls `wake()` after each change, and each pending wait re-checks
 * its condition then, so a wait ends as soon as the frame it waits for arrives.
 */
export class Wakeups {
  private waiters: Array<() => void> = [];

  until(condition: () => boolean, options: WaitOptions = {}): Promise<void> {
    return new Promise((resolve, reject) => {
      const check = () => {
        if (!condition()) return;
        clearTimeout(timer);
        this.waiters = this.waiters.filter((waiter) => waiter !== check);
        resolve();
      };
      const timer = setTimeout(() => {
        this.waiters = this.waiters.filter((waiter) => waiter !== check);
        reject(timeout(options));
      }, options.timeoutMs ?? DEFAULT_TIMEOUT_MS);
      this.waiters.push(check);
      check();
    });
  }

  wake(): void {
    for (const waiter of [...this.waiters]) waiter();
  }
}

function timeout(options: WaitOptions, last?: string): Error {
  const details = [options.detail?.(), last].filter((text) => text !== undefined);
  const what = options.what ?? 'a condition';
  return new Error(`timed out waiting for ${what}${details.length > 0 ? `; ${details.join('; ')}` : ''}`);
}
