import { performance } from 'node:perf_hooks';

const TURN_END = Promise.resolve();

/**
 * The clock of action durations (metrics on). A clock read costs 35–70 ns on Node 20, and two per
 * action were most of what metrics cost a small action (docs/operations.md). The frames that one read from a socket
 * brings (16 on average in the rpc benchmark) are handled one after another in one turn of the event
 * loop, so the read that ends an action also starts the next one. That holds only while nothing else
 * runs between them: the chain is cut by a frame that is not a declared action's, by frames run from
 * a queue, by refusals, and at the end of the turn.
 */
export class ActionClock {
  /** When the last action that completed at once ended, while the next frame may start from it; -1: no chain. */
  private chained = -1;
  private cutScheduled = false;

  /** An action's start: the end of the action just before it in this turn, else now. */
  start(): number {
    const chained = this.chained;
    if (chained < 0) return performance.now();
    this.chained = -1;
    return chained;
  }

  /** The end of an action that completed at once, which the next action of this turn starts from. */
  endAtOnce(): number {
    const now = performance.now();
    this.chained = now;
    if (!this.cutScheduled) {
      this.cutScheduled = true;
      // Reactions run once the turn's synchronous work is done, before any other I/O is handled
      // (a third of the cost of `queueMicrotask`, which makes an async resource each call).
      void TURN_END.then(this.cutAtTurnEnd);
    }
    return now;
  }

  /** The end of an action that completed later: nothing starts from it. */
  end(): number {
    return performance.now();
  }

  /** Something other than the next action runs now: its time must not count toward that action. */
  cut(): void {
    this.chained = -1;
  }

  private readonly cutAtTurnEnd = (): void => {
    this.chained = -1;
    this.cutScheduled = false;
  };
}
