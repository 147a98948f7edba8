import type { StreamPosition } from '../../lib/index.js';

/** A frame of a history channel as a soak client receives it. */
export interface StreamFrame<Data = unknown> {
  type: string;
  id?: unknown;
  offset?: number;
  epoch?: string;
  recovered?: boolean;
  data?: Data;
}

/**
 * One soak client's view of a history channel across its connections, checked frame by frame against
 * the recovery guarantees: after a `recovered:true`, every publication once and in offset order from
 * where it was; a `recovered:false` only when its position had left the window (`windowSize`
 * publications), then the initial data and the publications from the top; never a resync notice
 * (the store stays up). The payload checks are the soak's own (`publication`, `isInitialData`).
 */
export abstract class RecoveryChecker<Data> {
  position?: StreamPosition;
  recovered = 0;
  notRecovered = 0;
  /** Publications it was told it could not recover (declared, never silent). */
  declaredLost = 0;
  readonly violations: string[] = [];

  protected constructor(
    private readonly windowSize: number,
    private readonly label: string,
  ) {}

  /** A publication received in order (its offset checked already): the soak checks or records its payload. */
  protected abstract publication(offset: number, data: Data | undefined): void;

  /** Whether `data` is the channel's initial data. */
  protected abstract isInitialData(data: Data | undefined): boolean;

  /** The frames of one connection, in order; `asked` the position sent with its subscribe. */
  check(frames: readonly StreamFrame<Data>[], asked: StreamPosition | undefined): void {
    let expected = this.position ? this.position.offset + 1 : undefined;
    let awaitingInitial = false;
    for (const frame of frames) {
      if (frame.type === 'join' || frame.type === 'leave') continue; // the other subscribers (presence)
      if (frame.type === 'subscribed' && frame.id !== undefined) {
        const top = { offset: frame.offset!, epoch: frame.epoch! };
        if (asked !== undefined && frame.recovered === true) {
          this.recovered++;
          // Only an empty-stream token (`~…`) may give way to another epoch: the stream born since.
          if (!asked.epoch.startsWith('~') && top.epoch !== asked.epoch) {
            this.fail(`recovered into epoch ${top.epoch} from ${asked.epoch}`);
          }
          if (top.offset - asked.offset > this.windowSize) this.fail(`recovered from ${asked.offset} to ${top.offset}`);
          // The replay continues from where it was, in the stream `subscribed` names.
          this.position = { offset: asked.offset, epoch: top.epoch };
          continue;
        }
        if (asked !== undefined) {
          this.notRecovered++;
          if (frame.recovered !== false) this.fail(`a recover answered ${JSON.stringify(frame)}`);
          if (top.offset - asked.offset <= this.windowSize) {
            this.fail(`not recovered from ${asked.offset} with top ${top.offset}`);
          }
          this.declaredLost += top.offset - asked.offset;
        }
        // Fresh, or told it cannot recover: it starts over from the top, with the initial data (nothing replayed).
        this.position = top;
        expected = top.offset + 1;
        awaitingInitial = true;
        continue;
      }
      if (frame.type === 'subscribed') {
        // The server's own notice: the stream was born (recovered:true); a resync would be a loss.
        if (frame.recovered !== true) this.fail(`resync notice ${JSON.stringify(frame)}`);
        this.position = { offset: frame.offset!, epoch: frame.epoch! };
        continue;
      }
      if (frame.type !== 'data') {
        this.fail(`unexpected frame ${JSON.stringify(frame)}`);
        continue;
      }
      if (frame.offset === undefined) {
        if (!awaitingInitial || !this.isInitialData(frame.data)) this.fail(`initial data ${JSON.stringify(frame)}`);
        awaitingInitial = false;
        continue;
      }
      if (awaitingInitial) this.fail(`publication ${frame.offset} before the initial data`);
      if (frame.offset !== expected) this.fail(`offset ${frame.offset}, expected ${String(expected)}`);
      this.publication(frame.offset, frame.data);
      expected = frame.offset + 1;
      this.position = { offset: frame.offset, epoch: this.position!.epoch };
    }
  }

  /** Records a violation (the soak adds its own too: a payload that is not the one stored); the first five are kept. */
  fail(problem: string): void {
    if (this.violations.length < 5) this.violations.push(`${this.label}: ${problem}`);
  }
}
