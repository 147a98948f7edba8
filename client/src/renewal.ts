import { ClientErrorCode } from './client-error-codes.js';
import { ClientMessage } from './client.messages.js';
import type { Credentials } from './credentials.js';
import type { FrameLink, MessageId, ServerFrame } from './frames.js';
import { startTimer, stopTimer, type TimerHandle } from './platform.js';
import { errorOfFrame, SocketApiError } from './socket-api-error.js';

/** The shortest wait between a renewal and the next scheduled one. */
const MIN_RENEWAL_DELAY_MS = 1000;

interface PendingRenewal {
  id: MessageId;
  resolve(): void;
  reject(error: SocketApiError): void;
}

/**
 * In-band renewal of the credentials (PROTOCOL.md, "Credential renewal"): before they expire, a
 * fresh token goes to the server in an `auth` frame; the server's answer gives the new expiry, and
 * the next renewal is scheduled by it. Single-flight: whoever asks (the timer, the app) while a
 * renewal is under way gets that renewal's outcome; the server would refuse a second one anyway.
 */
export class Renewal {
  private timer: TimerHandle | undefined;
  private running: Promise<void> | undefined;
  private pending: PendingRenewal | undefined;
  /** Bumped at each lost connection: a renewal started on a connection now gone fails with its loss. */
  private connectionEpoch = 0;
  private lastLoss: SocketApiError | undefined;

  constructor(
    private readonly credentials: Credentials,
    private readonly link: FrameLink,
    /** Told of a failed scheduled renewal (the connection then expires, and the client reconnects). */
    private readonly failed: (error: SocketApiError) => void,
  ) {}

  /** Schedules the renewal before `expiresAt` (ms since the epoch; undefined: never expires). */
  schedule(expiresAt: number | undefined): void {
    this.cancelTimer();
    if (expiresAt === undefined || !this.credentials.renews) return;
    const remaining = expiresAt - Date.now();
    // An expiry this clock has passed already, though the server just gave it: the two clocks differ
    // (a device's clock ahead), and every renewal would look expired at once, a loop. The server ends
    // the connection when the credentials do expire (1008 Token expired), and the client reconnects
    // with a fresh token.
    if (remaining <= 0) return;
    // At `renewBeforeMs` before the expiry, or at half the remaining life when that is shorter, so that
    // short-lived credentials are not renewed in a loop; never sooner than MIN_RENEWAL_DELAY_MS (a
    // clock almost a token's life ahead would otherwise renew every few milliseconds).
    const delay = Math.max(MIN_RENEWAL_DELAY_MS, remaining - Math.min(this.credentials.renewBeforeMs, remaining / 2));
    this.timer = startTimer(() => {
      this.timer = undefined;
      this.renew().catch((error: SocketApiError) => this.failed(error));
    }, delay);
  }

  /** Renews now, or joins the renewal under way. */
  renew(): Promise<void> {
    this.running ??= this.exchange().finally(() => (this.running = undefined));
    return this.running;
  }

  /** An `auth` reply or an error frame: true when it answered the renewal under way. */
  answered(frame: ServerFrame): boolean {
    const pending = this.pending;
    if (pending === undefined || frame.id !== pending.id) return false;
    this.pending = undefined;
    if (frame.type === 'auth') {
      const expiresAt = (frame.data as { expiresAt?: unknown } | undefined)?.expiresAt;
      this.schedule(typeof expiresAt === 'number' ? expiresAt : undefined);
      pending.resolve();
    } else {
      pending.reject(errorOfFrame(frame));
    }
    return true;
  }

  /** The connection ended: a renewal awaiting its answer will get none, and the timer belongs to it. */
  connectionLost(error: SocketApiError): void {
    this.cancelTimer();
    this.connectionEpoch++;
    this.lastLoss = error;
    const pending = this.pending;
    this.pending = undefined;
    pending?.reject(error);
  }

  private async exchange(): Promise<void> {
    const epoch = this.connectionEpoch;
    const { token } = await this.credentials.token('renew');
    // The connection it was for is gone (the next one connected with this very token, if it asked for one).
    if (epoch !== this.connectionEpoch && this.lastLoss !== undefined) throw this.lastLoss;
    const id = this.link.nextId();
    const done = new Promise<void>((resolve, reject) => (this.pending = { id, resolve, reject }));
    if (!this.link.send({ type: 'auth', id, data: this.credentials.renewalData(token) })) {
      this.pending = undefined;
      throw new SocketApiError(ClientErrorCode.NOT_CONNECTED, ClientMessage.renewalNotConnected);
    }
    return done;
  }

  private cancelTimer(): void {
    stopTimer(this.timer);
    this.timer = undefined;
  }
}
