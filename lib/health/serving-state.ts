import { Injectable } from '@nestjs/common';

/** Where the socket server is in its life: not yet serving, serving, or draining on shutdown. */
export type ServingPhase = 'starting' | 'serving' | 'draining';

/**
 * The socket server's phase, written by the server (`gateway/`) and read by readiness. Its own
 * object, below both, so that the probes need not know the server.
 */
@Injectable()
export class ServingState {
  private current: ServingPhase = 'starting';

  get phase(): ServingPhase {
    return this.current;
  }

  /** The socket accepts connections. */
  serving(): void {
    if (this.current === 'starting') this.current = 'serving';
  }

  /** Shutdown began: no new connections; for good. */
  draining(): void {
    this.current = 'draining';
  }
}
