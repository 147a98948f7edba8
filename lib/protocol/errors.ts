import { IntrinsicException } from '@nestjs/common';
import { ErrorCode } from './error-codes.js';

/** One failing property of a validated `data` object; `path` is dotted from the top of `data`. */
export interface FieldError {
  path: string;
  messages: string[];
}

/**
 * An error meant for the client: its message and code reach the socket as an error frame. Without
 * a code, the client sees `FORBIDDEN` when a guard threw it and `BAD_REQUEST` anywhere else.
 * Extends `IntrinsicException` so that Nest's exception handlers do not log it as a failure.
 */
export class SocketApiException extends IntrinsicException {
  constructor(
    message: string,
    readonly code?: string,
  ) {
    super(message);
    this.name = 'SocketApiException';
  }
}

/** `data` did not fit the handler's parameters; `errors` lists every failing property. */
export class SocketApiValidationException extends SocketApiException {
  constructor(
    message: string,
    readonly errors: FieldError[],
  ) {
    super(message, ErrorCode.VALIDATION_ERROR);
    this.name = 'SocketApiValidationException';
  }
}

/**
 * The store of a history channel cannot be reached (Redis down): the publication was not made, since
 * one without an offset would break every subscriber's recovery. An action that awaited it answers
 * `UNAVAILABLE`.
 */
export class HistoryUnavailableError extends Error {
  constructor(message: string, options?: ErrorOptions) {
    super(message, options);
    this.name = 'HistoryUnavailableError';
  }
}

/**
 * A `SocketApiConnections` call could not reach every instance: the broker is down, or an instance did
 * not answer within `controlTimeoutMs`. What this instance's own connections needed was done already.
 */
export class ControlUnavailableError extends Error {
  constructor(message: string, options?: ErrorOptions) {
    super(message, options);
    this.name = 'ControlUnavailableError';
  }
}
