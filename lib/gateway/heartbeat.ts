import type { ResolvedHeartbeat } from '../options/resolved-options.js';
import { CloseCode } from '../protocol/close-codes.js';
import { CloseReason } from '../protocol/socket-api.messages.js';
import type { WsConnection } from './ws-connection.js';

/**
 * Liveness for every connection with a few timers per server, none per connection: WebSocket ping
 * frames every `intervalMs`, and a peer without a pong `timeoutMs` later is terminated (its TCP
 * connection is gone or stuck); with an idle timeout, a client that sent nothing for that long is closed.
 *
 * Each verdict waits for the event loop's next turn of I/O: after a stall of the server (a long
 * synchronous task, a GC pause, a starved CPU), the timer fires before the pongs and messages that
 * arrived meanwhile are read, and every live peer would be cut at once. A connection already closing
 * is left to its closing handshake (`closeTimeoutMs` bounds it): a peer that closes does not answer pings.
 */
export class Heartbeat {
  private readonly intervalMs: number;
  private readonly timeoutMs: number;
  private readonly timers: NodeJS.Timeout[] = [];
  private readonly verdicts = new Set<NodeJS.Immediate>();
  /** A ping round's verdict is still to come: after a stall, the next round waits for it (see `ping`). */
  private judging = false;

  constructor(
    private readonly connections: ReadonlySet<WsConnection>,
    private readonly heartbeat: ResolvedHeartbeat | false,
    private readonly idleTimeoutMs: number,
  ) {
    this.intervalMs = heartbeat ? heartbeat.intervalMs : 0;
    this.timeoutMs = heartbeat ? Math.min(heartbeat.timeoutMs, this.intervalMs) : 0;
  }

  get pings(): boolean {
    return this.heartbeat !== false;
  }

  start(): void {
    if (this.pings) this.every(this.intervalMs, () => this.ping());
    if (this.idleTimeoutMs > 0) {
      this.every(Math.min(1000, this.idleTimeoutMs / 2), () => this.afterPendingIo(() => this.closeIdle()));
    }
  }

  stop(): void {
    for (const timer of this.timers.splice(0)) clearTimeout(timer);
    for (const verdict of this.verdicts) clearImmediate(verdict);
    this.verdicts.clear();
    this.judging = false;
  }

  private ping(): void {
    // A stall can bring this timer in the same turn as the last round's, before its verdict: a new
    // round now would mark every peer as waiting again, and the verdict would cut them all.
    if (this.judging) return;
    this.judging = true;
    for (const connection of this.connections) {
      if (!connection.isOpen) continue;
      connection.awaitingPong = true;
      connection.socket.ping();
    }
    this.after(this.timeoutMs, () => this.afterPendingIo(() => this.terminateSilent()));
  }

  private terminateSilent(): void {
    this.judging = false;
    for (const connection of this.connections) {
      if (connection.awaitingPong && connection.isOpen) connection.terminate();
    }
  }

  private closeIdle(): void {
    const cutoff = Date.now() - this.idleTimeoutMs;
    for (const connection of this.connections) {
      // One already closing waits for its peer (or `closeTimeoutMs`), not for another close.
      if (connection.lastMessageAt < cutoff && connection.isOpen)
        connection.close(CloseCode.NORMAL, CloseReason.idleTimeout);
    }
  }

  private every(ms: number, run: () => void): void {
    this.timers.push(setInterval(run, ms).unref());
  }

  private after(ms: number, run: () => void): void {
    const timer: NodeJS.Timeout = setTimeout(() => {
      this.timers.splice(this.timers.indexOf(timer), 1);
      run();
    }, ms).unref();
    this.timers.push(timer);
  }

  /**
   * Runs `run` once the I/O that has already arrived is read: `setImmediate` runs after the event
   * loop's poll phase, which reads every socket with data waiting, so no peer is judged on a stale view.
   */
  private afterPendingIo(run: () => void): void {
    const verdict = setImmediate(() => {
      this.verdicts.delete(verdict);
      run();
    }).unref();
    this.verdicts.add(verdict);
  }
}
