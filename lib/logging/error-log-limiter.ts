import type { Logger } from '@nestjs/common';
import { describeException } from './describe-exception.js';

/** Kinds of error followed at once; past it, new kinds share one counter (their count is still logged). */
const MAX_KINDS = 100;
const OTHER_KINDS = 'Other errors';

interface Interval {
  suppressed: number;
  timer: NodeJS.Timeout;
}

/**
 * Logs the errors that clients can cause (a handler failing on their input, a reply that cannot be
 * serialized, a failing connection hook) without letting them flood the log. Per kind of error (where
 * it happened, and the exception's class) the first one of each interval is logged with its stack;
 * the others are only counted, and the count is logged when the interval ends.
 * `intervalMs` 0 logs every error.
 */
export class ErrorLogLimiter {
  private readonly intervals = new Map<string, Interval>();

  constructor(
    private readonly logger: Logger,
    private readonly intervalMs: number,
  ) {}

  /** `what` says where, without the exception (e.g. `Unhandled exception in action 'x' (...)`). */
  error(what: string, exception: unknown): void {
    if (this.intervalMs <= 0) return this.logger.error(what, describeException(exception));
    let kind = `${what} (${exceptionName(exception)})`;
    if (!this.intervals.has(kind) && this.intervals.size >= MAX_KINDS) kind = OTHER_KINDS;
    const interval = this.intervals.get(kind);
    if (interval) {
      interval.suppressed++;
      return;
    }
    const line = kind === OTHER_KINDS ? `${what} (and more kinds of error than the log follows)` : what;
    this.logger.error(line, describeException(exception));
    const timer = setTimeout(() => this.end(kind), this.intervalMs);
    timer.unref();
    this.intervals.set(kind, { suppressed: 0, timer });
  }

  /** Logs the counts still pending (at shutdown), so that none is lost. */
  flush(): void {
    for (const kind of [...this.intervals.keys()]) this.end(kind);
  }

  private end(kind: string): void {
    const interval = this.intervals.get(kind);
    if (!interval) return;
    clearTimeout(interval.timer);
    this.intervals.delete(kind);
    if (interval.suppressed > 0) {
      const count = `${interval.suppressed} more in the last ${this.intervalMs} ms`;
      this.logger.error(`${kind}: ${count}, not logged one by one`);
    }
  }
}

function exceptionName(exception: unknown): string {
  try {
    return exception instanceof Error ? String(exception.name) : typeof exception;
  } catch {
    return 'unprintable';
  }
}
