import { Subject, type Observable } from 'rxjs';
import { ClientMessage } from './client.messages.js';
import type { FrameLink, MessageId, ServerFrame } from './frames.js';
import { warn } from './platform.js';

/** The client was built against another contract than the server's: a stale bundle, or a server not yet updated. */
export interface ContractMismatch {
  /** The `contractHash` the client was given (the generated file's). */
  clientHash: string;
  /** The hash the server gave for its own handlers. */
  serverHash: string;
}

/**
 * Asks the server, once per connection, for the hash of its contract (PROTOCOL.md, "Contract
 * hash") and reports a mismatch with the client's own, on `mismatch$` and as a console warning. It
 * never affects the connection: the calls whose types changed fail on their own (or not at all).
 * A server older than the exchange answers `UNKNOWN_TYPE`: nothing is known then, nothing reported.
 */
export class ContractCheck {
  private readonly mismatches = new Subject<ContractMismatch>();
  readonly mismatch$: Observable<ContractMismatch> = this.mismatches.asObservable();
  /** The id of the question of the current connection, until it is answered. */
  private pendingId: MessageId | undefined;

  constructor(
    private readonly clientHash: string,
    private readonly link: FrameLink,
  ) {}

  /** At each new connection. */
  ask(): void {
    const id = this.link.nextId();
    this.pendingId = this.link.send({ type: 'contract', id }) ? id : undefined;
  }

  /** A `contract` frame: whether it answered the question (else it is ignored). */
  answered(frame: ServerFrame): boolean {
    if (frame.id === undefined || frame.id !== this.pendingId) return false;
    this.pendingId = undefined;
    if (typeof frame.hash === 'string' && frame.hash !== this.clientHash) {
      warn(ClientMessage.contractMismatch(this.clientHash, frame.hash));
      this.mismatches.next({ clientHash: this.clientHash, serverHash: frame.hash });
    }
    return true;
  }

  /** An error frame: whether it refused the question (an older server's `UNKNOWN_TYPE`). */
  refused(id: unknown): boolean {
    if (id === undefined || id !== this.pendingId) return false;
    this.pendingId = undefined;
    return true;
  }

  complete(): void {
    this.mismatches.complete();
  }
}
