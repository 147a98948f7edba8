import { hrtime } from 'node:process';
import type { ReceivedMessage } from '../protocol/messages.js';
import type { ActionDurations } from './action-durations.js';

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
 * The most actions a run holds: a slow call's time is shared by at most this many (one 64 KiB read
 * can bring a thousand small frames), for one more clock read per as many actions.
 */
const MAX_RUN = 16;

/**
 * Times actions for their histograms (metrics on) with as few clock reads as it can: a read costs
 * 35–70 ns here, and one per action was about half of what metrics cost a small action
 * (docs/operations.md).
 *
 * ws handles every frame of a read from a socket at once, in its listener of the socket's `data`,
 * and `readEnds` listens after it. Within such a read, actions of one name that follow one another
 * and answer at once are a *run*, timed by two clock reads: one where the run starts and one where it
 * ends; each of its actions is observed with an equal share of the run's time. So an action's counts
 * and its sum stay exact (not each outcome's sum when a run holds both), and its buckets too whenever
 * its run took less than the first bound (0.5 ms); a run that took longer gives each of its actions
 * (at most `MAX_RUN`) their mean. An action of another name, any frame that is not an action's, and
 * the read's end end a run.
 *
 * An action that answers after the read (it awaited) is timed alone, to its own reply: from its run's
 * start the first time, and once one of a name has awaited, its later ones from a clock read of their
 * own (`ActionDurations.awaits`). Frames run from a connection's queue are timed the same way, their
 * runs ended after them (`InboundQueue`).
 */
export class ActionTimer {
  /** The open run's id (0: none; ids are never reused), its actions' histogram, its start, and how many answered so far, by outcome. */
  private run = 0;
  private lastRun = 0;
  private runDurations: ActionDurations | undefined;
  private runStart = 0;
  private joined = 0;
  private completed = 0;
  private failed = 0;

  /** A listener of each connection's socket, after ws's own: every frame of the read was handled. */
  readonly readEnds = (): void => {
    this.cut();
  };

  /** An action begins, one of `durations`'s. */
  started(message: ReceivedMessage, durations: ActionDurations): void {
    if (this.run !== 0 && this.runDurations === durations && this.joined < MAX_RUN) {
      this.joined++;
      message.receivedAt = this.runStart;
      message.run = this.run;
      return;
    }
    const now = milliseconds();
    if (this.run !== 0) this.endRun(now);
    message.receivedAt = now;
    if (!durations.awaits) {
      this.run = message.run = ++this.lastRun;
      this.runDurations = durations;
      this.runStart = now;
      this.joined = 1;
    } else {
      message.run = 0;
    }
  }

  /** An action answered (`outcome` 0: its reply, 1: an error frame). */
  ended(message: ReceivedMessage, durations: ActionDurations, outcome: 0 | 1): void {
    const run = message.run;
    if (run !== 0 && run === this.run) {
      if (outcome === 0) this.completed++;
      else this.failed++;
      return;
    }
    // Answered after its run ended: it awaited, and so will the next ones of its name, most likely.
    if (run !== 0) durations.awaits = true;
    durations.observe(outcome, (milliseconds() - message.receivedAt) / 1000, 1);
  }

  /** Something other than the run's next action runs now (another frame, a refusal, the read's end): its time is no action's. */
  cut(): void {
    // A run none of whose actions answered yet (they await) needs no clock read to end.
    if (this.run !== 0) this.endRun(this.completed + this.failed === 0 ? this.runStart : milliseconds());
  }

  /** Observes the open run's answered actions, each with an equal share of its time up to `now`. */
  private endRun(now: number): void {
    const durations = this.runDurations!;
    const answered = this.completed + this.failed;
    const each = (now - this.runStart) / answered / 1000;
    if (this.completed !== 0) durations.observe(0, each, this.completed);
    if (this.failed !== 0) durations.observe(1, each, this.failed);
    this.run = 0;
    this.runDurations = undefined;
    this.completed = this.failed = 0;
  }
}
