import { ClientErrorCode } from './client-error-codes.js';
import { ClientMessage } from './client.messages.js';
import type { MessageId } from './frames.js';
import { startTimer, stopTimer, type AbortSignalLike, type TimerHandle } from './platform.js';
import { SocketApiError } from './socket-api-error.js';

/** The frames answered like an action: by a frame with the same `id` (`presence` has no `data`). */
export type CallType = 'action' | 'presence';

/**
 * One `client.action(...)` call (or `client.presence(...)` query), from the call to its one
 * settlement: a reply, an error frame, its timeout, its abort, a drop while in flight, or `close()`.
 * Whatever comes after the first is ignored, so a call settles exactly once.
 */
export class ActionCall {
  /** The frame as sent: serialized once, at the call (its size counts against the queue's bytes). */
  readonly text: string;
  /** Whether the frame left for the server: from then on a failure says `maybeExecuted`. */
  sent = false;
  private settled = false;
  private byteLength: number | undefined;
  private timer: TimerHandle | undefined;
  private readonly onAbort = () => this.fail(ClientErrorCode.ABORTED, ClientMessage.aborted(this.name));

  constructor(
    readonly id: MessageId,
    readonly name: string,
    data: unknown,
    timeoutMs: number,
    private readonly signal: AbortSignalLike | undefined,
    private readonly resolve: (data: unknown) => void,
    private readonly reject: (error: SocketApiError) => void,
    /** Told once the call settles, so that its owner forgets it. */
    private readonly onSettled: (call: ActionCall) => void,
    type: CallType = 'action',
  ) {
    this.text = JSON.stringify(data === undefined ? { type, channel: name, id } : { type, channel: name, id, data });
    if (Number.isFinite(timeoutMs)) {
      this.timer = startTimer(
        () => this.fail(ClientErrorCode.TIMEOUT, ClientMessage.timeout(name, timeoutMs)),
        timeoutMs,
      );
    }
    signal?.addEventListener('abort', this.onAbort, { once: true });
  }

  /** The frame's UTF-8 bytes, counted only for a call that waits in the queue. */
  get bytes(): number {
    return (this.byteLength ??= utf8Length(this.text));
  }

  get isSettled(): boolean {
    return this.settled;
  }

  succeed(data: unknown): void {
    if (this.finish()) this.resolve(data);
  }

  /** Settles with `error` as it is (an error frame of the server: it did not run the action to completion). */
  failWith(error: SocketApiError): void {
    if (this.finish()) this.reject(error);
  }

  /** Settles with a client error; `maybeExecuted` when the frame was sent. */
  fail(code: string, message: string): void {
    this.failWith(new SocketApiError(code, message, [], this.sent));
  }

  private finish(): boolean {
    if (this.settled) return false;
    this.settled = true;
    stopTimer(this.timer);
    this.signal?.removeEventListener('abort', this.onAbort);
    this.onSettled(this);
    return true;
  }
}

/** The UTF-8 length of a string, without TextEncoder (absent from the platform types on purpose). */
export function utf8Length(text: string): number {
  let bytes = 0;
  for (let index = 0; index < text.length; index++) {
    const unit = text.charCodeAt(index);
    if (unit < 0x80) bytes += 1;
    else if (unit < 0x800) bytes += 2;
    else if (unit >= 0xd800 && unit <= 0xdbff && index + 1 < text.length) {
      // A surrogate pair: one 4-byte code point.
      bytes += 4;
      index++;
    } else bytes += 3;
  }
  return bytes;
}
