import type { ActionCall } from './action-call.js';

/**
 * The actions issued while disconnected, sent in order once connected. Bounded in items and in
 * bytes, so that an app that keeps calling through a long outage runs out of room, not of memory.
 */
export class Outbox {
  private readonly calls = new Set<ActionCall>();
  private bytes = 0;

  constructor(
    private readonly maxItems: number,
    private readonly maxBytes: number,
  ) {}

  get size(): number {
    return this.calls.size;
  }

  /** Queues `call`; false (nothing queued) when it does not fit. */
  offer(call: ActionCall): boolean {
    if (this.calls.size + 1 > this.maxItems || this.bytes + call.bytes > this.maxBytes) return false;
    this.calls.add(call);
    this.bytes += call.bytes;
    return true;
  }

  /** Forgets `call` (it settled while waiting: timeout, abort). */
  remove(call: ActionCall): void {
    if (this.calls.delete(call)) this.bytes -= call.bytes;
  }

  /** Empties the queue, giving its calls in the order they came. */
  drain(): ActionCall[] {
    const calls = [...this.calls];
    this.calls.clear();
    this.bytes = 0;
    return calls;
  }
}
