import type { ResolvedHeartbeat } from '../options/resolved-options.js';
import { CloseCode } from '../protocol/close-codes.js';
import { CloseReason } from '../protocol/socket-api.messages.js';
import type { WsConnection } from './ws-connection.js';

/**
 * Liveness for every connection with a few timers per server, none per connection: WebSocket ping
 * frames every `intervalMs`, and a peer without a pong `timeoutMs` later is terminated (its TCP
 * connection is gone or stuck); with an idle timeout, a client that sent nothing for that long is closed.
 */
export class Heartbeat {
  private readonly intervalMs: number;
  private readonly timeoutMs: number;
  private readonly timers: NodeJS.Timeout[] = [];

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
    if (this.idleTimeoutMs > 0) this.every(Math.min(1000, this.idleTimeoutMs / 2), () => this.closeIdle());
  }

  stop(): void {
    for (const timer of this.timers.splice(0)) clearTimeout(timer);
  }

  private ping(): void {
    for (const connection of this.connections) {
      connection.awaitingPong = true;
      connection.socket.ping();
    }
    this.after(this.timeoutMs, () => this.terminateSilent());
  }

  private terminateSilent(): void {
    for (const connection of this.connections) {
      if (connection.awaitingPong) connection.terminate();
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
}
