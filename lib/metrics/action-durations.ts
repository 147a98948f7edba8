import { ACTION_DURATION_BUCKETS, ACTION_OUTCOMES } from './metric-labels.js';

/** The first bucket's bound: an action that awaits nothing is nearly always within it. */
const FIRST_BOUND = ACTION_DURATION_BUCKETS[0];
/** Per outcome: a count per bucket (the last one above every bound), then the sum of the durations. */
const STRIDE = ACTION_DURATION_BUCKETS.length + 2;
const SUM_AT = STRIDE - 1;

/**
 * One action's durations, per outcome (0 completed, 1 error: the order of `ACTION_OUTCOMES`), in one
 * array: an observation is two additions, and a duration within the first bound needs no search.
 * The counts are not cumulative, and their total is the count (added up when scraped).
 */
export class ActionDurations {
  private readonly values = new Float64Array(ACTION_OUTCOMES.length * STRIDE);
  /**
   * Whether one of these actions has answered after the read from the socket that brought it (it
   * awaited): the later ones are then timed alone, from a clock read of their own (see `ActionTimer`).
   */
  awaits = false;

  /** `count` durations of `seconds` each. */
  observe(outcome: 0 | 1, seconds: number, count: number): void {
    const at = outcome * STRIDE;
    this.values[at + (seconds <= FIRST_BOUND ? 0 : bucketOf(seconds))] += count;
    this.values[at + SUM_AT] += seconds * count;
  }

  /** How many durations of `outcome` are within each bound, cumulative, and in all (`+Inf`). */
  cumulativeCounts(outcome: 0 | 1): number[] {
    const counts: number[] = [];
    let total = 0;
    for (let index = 0; index < SUM_AT; index++) counts.push((total += this.values[outcome * STRIDE + index]));
    return counts;
  }

  sum(outcome: 0 | 1): number {
    return this.values[outcome * STRIDE + SUM_AT];
  }
}

function bucketOf(seconds: number): number {
  let bucket = 1;
  while (bucket < ACTION_DURATION_BUCKETS.length && seconds > ACTION_DURATION_BUCKETS[bucket]) bucket++;
  return bucket;
}
