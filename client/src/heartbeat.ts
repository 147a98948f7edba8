import { startTimer, stopTimer, type TimerHandle } from './platform.js';

/**
 * The client's own check that the connection is alive: the server's WebSocket pings are answered by
 * the platform, out of a browser app's sight, so a connection whose peer vanished (a laptop waking up,
 * a NAT that forgot it) would look open until TCP gives up, minutes later. After `idleMs` without any
 * frame the client sends `{"type":"ping"}`; if nothing at all arrives within `timeoutMs` more, the
 * connection is dead.
 *
 * A frame only stamps the time (no timer is reset per frame, which would cost on a busy connection);
 * the one timer compares the stamp when it fires.
 */
export class Heartbeat {
  private timer: TimerHandle | undefined;
  private lastFrameAt = 0;
  private pingSentAt: number | undefined;

  constructor(
    private readonly idleMs: number,
    private readonly timeoutMs: number,
    private readonly ping: () => void,
    private readonly dead: () => void,
  ) {}

  /** The connection opened: the watch starts. */
  start(): void {
    this.lastFrameAt = Date.now();
    this.pingSentAt = undefined;
    this.arm(this.idleMs);
  }

  /** A frame arrived: the connection is alive. */
  alive(): void {
    this.lastFrameAt = Date.now();
  }

  stop(): void {
    stopTimer(this.timer);
    this.timer = undefined;
  }

  private arm(ms: number): void {
    this.timer = startTimer(() => this.check(), Math.max(1, ms));
  }

  private check(): void {
    const now = Date.now();
    if (this.pingSentAt !== undefined && this.lastFrameAt < this.pingSentAt) {
      if (now - this.pingSentAt >= this.timeoutMs) {
        this.timer = undefined;
        this.dead();
      } else this.arm(this.pingSentAt + this.timeoutMs - now);
      return;
    }
    this.pingSentAt = undefined;
    const silentFor = now - this.lastFrameAt;
    if (silentFor < this.idleMs) {
      this.arm(this.idleMs - silentFor);
      return;
    }
    this.pingSentAt = now;
    this.ping();
    this.arm(this.timeoutMs);
  }
}
