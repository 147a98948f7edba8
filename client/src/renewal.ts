import { ClientErrorCode } from './client-error-codes.js';
import { ClientMessage } from './client.messages.js';
import type { Credentials } from './credentials.js';
import type { ClientFrame, MessageId, ServerFrame } from './frames.js';
import { startTimer, stopTimer, type TimerHandle } from './platform.js';
import { errorOfFrame, SocketApiError } from './socket-api-error.js';

/** What a renewal needs from the client. */
export interface RenewalLink {
  send(frame: ClientFrame): boolean;
  nextId(): MessageId;
}

/** Below this, credentials about to expire are renewed at once rather than at half their life. */
const MIN_RENEW_DELAY_MS = 1000;

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

  constructor(
    private readonly credentials: Credentials,
    private readonly link: RenewalLink,
    /** Told of a failed scheduled renewal (the connection then expires, and the client reconnects). */
    private readonly failed: (error: SocketApiError) => void,
  ) {}

  /** Schedules the renewal before `expiresAt` (ms since the epoch; undefined: never expires). */
  schedule(expiresAt: number | undefined): void {
    this.cancelTimer();
    if (expiresAt === undefined || !this.credentials.renews) return;
    const remaining = expiresAt - Date.now();
    const before = Math.min(this.credentials.renewBeforeMs, remaining / 2);
    const delay = remaining - before < MIN_RENEW_DELAY_MS ? 0 : remaining - before;
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
    const pending = this.pending;
    this.pending = undefined;
    pending?.reject(error);
  }

  private async exchange(): Promise<void> {
    const { token } = await this.credentials.token('renew');
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
