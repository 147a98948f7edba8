/** Where a throttled warning goes. */
export interface WarningSink {
  warn(message: string): void;
}

/**
 * A warning that clients or peers can trigger at will (a refused origin, a forged message on Redis):
 * logged at once the first time, then at most once per `intervalMs`, with the number of occurrences
 * since the last line, so that a flood of bad input cannot flood the log while a misconfiguration
 * still shows.
 */
export class ThrottledWarning {
  private unreported = 0;
  private lastLoggedAt = -Infinity;

  constructor(
    private readonly sink: WarningSink,
    private readonly intervalMs = 10_000,
  ) {}

  /** One occurrence; `describe(count)` builds the line, when one is due, from the count it covers. */
  report(describe: (count: number) => string): void {
    this.unreported++;
    const now = Date.now();
    if (now - this.lastLoggedAt < this.intervalMs) return;
    this.lastLoggedAt = now;
    const count = this.unreported;
    this.unreported = 0;
    this.sink.warn(describe(count));
  }
}
