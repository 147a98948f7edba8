/**
 * What a command costs besides its message: ioredis's command object, its promise and callbacks,
 * the RESP framing. Counted so that a flood of tiny publications is bounded as well as big ones.
 */
const COMMAND_OVERHEAD_BYTES = 512;

/**
 * Bounds the PUBLISHes waiting for Redis's answer. ioredis keeps every command it sent until Redis
 * answers, and the socket keeps what the kernel did not take: against a Redis that accepts TCP but
 * does not answer (a stopped process, a stalled host), both grow with every publication, without
 * bound. Past `maxBytes` publications are not sent (the caller drops and counts them); one always
 * fits when nothing waits, so that a publication larger than the window is not refused forever.
 */
export class PublishWindow {
  private bytes = 0;
  private commands = 0;

  constructor(readonly maxBytes: number) {}

  /** Bytes (messages and per-command overhead) waiting for Redis's answer. */
  get pendingBytes(): number {
    return this.bytes;
  }

  get pendingCommands(): number {
    return this.commands;
  }

  /** Takes room for a message of `size` bytes; false when there is none (do not send it). */
  acquire(size: number): boolean {
    const cost = size + COMMAND_OVERHEAD_BYTES;
    if (this.commands > 0 && this.bytes + cost > this.maxBytes) return false;
    this.bytes += cost;
    this.commands++;
    return true;
  }

  /** Redis answered (or the command failed): gives the room back. */
  release(size: number): void {
    this.bytes -= size + COMMAND_OVERHEAD_BYTES;
    this.commands--;
  }
}
