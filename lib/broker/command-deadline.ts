import { invalidCommandTimeout, redisCommandTimedOut } from '../logging/log.messages.js';

/** The longest delay a Node timer keeps (a longer one fires at once). */
const MAX_TIMER_MS = 2 ** 31 - 1;

/**
 * How long a caller waits for Redis to answer one command of the history or presence stores
 * (`commandTimeoutMs`). A Redis that accepts TCP but does not answer (stopped, a stalled host) keeps
 * a command waiting without end; the caller gets a failure in time instead. The command itself is
 * not withdrawn (Redis may still run it when it answers): callers say what a late run means.
 */
export class CommandDeadline {
  constructor(readonly timeoutMs: number) {
    if (!Number.isInteger(timeoutMs) || timeoutMs < 1 || timeoutMs > MAX_TIMER_MS) {
      throw new Error(invalidCommandTimeout(timeoutMs));
    }
  }

  /**
   * `command`'s outcome if it comes within the timeout; otherwise `onTimeout` runs and the result
   * rejects with what it returns (given the timeout's error). A late outcome of `command` is ignored.
   */
  race<T>(command: Promise<T>, onTimeout: (timedOut: Error) => Error = (timedOut) => timedOut): Promise<T> {
    return new Promise<T>((resolve, reject) => {
      const timer = setTimeout(
        () => reject(onTimeout(new Error(redisCommandTimedOut(this.timeoutMs)))),
        this.timeoutMs,
      );
      // A caller waiting must not keep a process alive that has nothing else to do (the connection does, if open).
      timer.unref();
      void command.then(resolve, reject).finally(() => clearTimeout(timer));
    });
  }
}
