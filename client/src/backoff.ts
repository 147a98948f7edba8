/**
 * Exponential backoff with full jitter (AWS Architecture Blog, "Exponential Backoff And Jitter"):
 * the delay before retry n (0-based) is uniform in [0, min(max, initial × 2^n)). The first retry is
 * random too, so that clients dropped together by a restart do not come back together; full rather
 * than partial jitter (Socket.IO's 0.5 randomization) spreads a herd over the whole window.
 */
export class Backoff {
  private failures = 0;

  constructor(
    private readonly initialDelayMs: number,
    private readonly maxDelayMs: number,
    private readonly random: () => number,
  ) {}

  /** The delay before the next attempt; the next one's ceiling doubles. */
  next(): number {
    // 2^n overflows to Infinity past n = 1023; the ceiling holds anyway.
    const ceiling = Math.min(this.maxDelayMs, this.initialDelayMs * 2 ** this.failures);
    this.failures++;
    return Math.floor(this.random() * ceiling);
  }

  reset(): void {
    this.failures = 0;
  }
}
