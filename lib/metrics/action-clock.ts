import { hrtime } from 'node:process';

/**
 * Now, in milliseconds from an arbitrary point. `process.hrtime`, not `performance.now()`: the same
 * clock, but on Node 20 `performance.now()` first checks its receiver through a wrapper that forwards
 * its arguments, and that made each read 230 instructions dearer per request (callgrind, bench/profile.mjs).
 * The pair it returns does not outlive this function, so V8 need not allocate it.
 */
function milliseconds(): number {
  const time = hrtime();
  return time[0] * 1e3 + time[1] / 1e6;
}

/**
 * The clock of action durations (metrics on). A clock read costs 35–70 ns on Node 20, and two per
 * action were most of what metrics cost a small action (docs/operations.md). The frames that one read
 * from a socket brings (16 on average in the rpc benchmark) are handled one after another, so the read
 * that ends an action also starts the next one. That holds only while nothing else runs between them:
 * the chain is cut by each read from a socket (`cut` listens to every connection's `data`), by a frame
 * that is not an action's, by frames run from a queue and by refusals; and an action's start takes it
 * up, so an action that is not timed (an unknown name) leaves the next one a read of its own.
 */
export class ActionClock {
  /** When the last action ended, while the next frame may start from it; -1: no chain. */
  private chained = -1;

  /** An action's start: the end of the action just before it from the same socket read, else now. */
  start(): number {
    const chained = this.chained;
    if (chained < 0) return milliseconds();
    this.chained = -1;
    return chained;
  }

  /** An action's end (its reply or error sent), which the next action may start from. */
  end(): number {
    const now = milliseconds();
    this.chained = now;
    return now;
  }

  /**
   * Something other than the next action runs now: its time must not count toward that action. A
   * listener of every connection's socket: what happened between two reads (the event loop's other
   * work, or waiting) belongs to no action. Frames reach the router only from a socket's read (no
   * compression: ws handles each frame at once) or from a connection's queue, which cuts too.
   */
  readonly cut = (): void => {
    this.chained = -1;
  };
}
