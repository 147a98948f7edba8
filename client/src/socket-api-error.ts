import type { ServerFrame, ValidationErrorEntry } from './frames.js';

/**
 * Every failure the client reports: an error frame of the server (its `code`, `message` and, for
 * validation failures, `errors`), or one of the client's own (`ClientErrorCode`).
 */
export class SocketApiError extends Error {
  override readonly name = 'SocketApiError';

  constructor(
    /** The server's code (e.g. `VALIDATION_ERROR`), or a `ClientErrorCode`. */
    readonly code: string,
    message: string,
    /** Validation failures: one entry per failing property, `path` dotted from the top of `data`. */
    readonly errors: readonly ValidationErrorEntry[] = [],
    /**
     * True when the action had been sent and the connection dropped (or it was aborted) before its
     * reply: the server may have run it. The client never sends it again by itself.
     */
    readonly maybeExecuted = false,
  ) {
    super(message);
  }
}

/** The error an error frame of the server stands for. */
export function errorOfFrame(frame: ServerFrame): SocketApiError {
  const code = typeof frame.code === 'string' ? frame.code : 'UNKNOWN';
  const message = typeof frame.message === 'string' ? frame.message : '';
  const errors = Array.isArray(frame.errors) ? (frame.errors as ValidationErrorEntry[]) : [];
  return new SocketApiError(code, message, errors);
}
