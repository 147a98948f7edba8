import { TestingMessage } from './testing.messages.js';

/** `out`: sent by the client; `in`: received; `event`: the connection opened or closed. */
export type FrameDirection = 'in' | 'out' | 'event';

export interface FrameRecord {
  direction: FrameDirection;
  /** Milliseconds since the test client was made. */
  atMs: number;
  /** The frame's text (an event's description), cut to the log's `maxChars`. */
  text: string;
}

const ARROWS: Record<FrameDirection, string> = { in: '<', out: '>', event: '*' };

/**
 * The last frames a test client sent and received, kept so that a failure message can show them:
 * a timeout that says what did (and did not) cross the wire is half the diagnosis. A ring of
 * `size` entries, each cut to `maxChars`, so that a chatty test keeps no more than that.
 */
export class FrameLog {
  private readonly records: FrameRecord[] = [];
  private readonly startedAt = Date.now();

  constructor(
    private readonly size: number,
    private readonly maxChars: number,
  ) {}

  add(direction: FrameDirection, text: string): void {
    const cut = text.length > this.maxChars ? `${text.slice(0, this.maxChars)}… (${text.length} chars)` : text;
    this.records.push({ direction, atMs: Date.now() - this.startedAt, text: cut });
    if (this.records.length > this.size) this.records.shift();
  }

  get frames(): readonly FrameRecord[] {
    return [...this.records];
  }

  /** The log as lines for an error message. */
  format(): string {
    if (this.records.length === 0) return TestingMessage.noFrames;
    const lines = this.records.map(
      ({ direction, atMs, text }) => `  ${String(atMs).padStart(6)} ms ${ARROWS[direction]} ${text}`,
    );
    return [TestingMessage.lastFrames(this.records.length), ...lines].join('\n');
  }
}
