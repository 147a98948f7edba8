import { HttpException, HttpStatus } from '@nestjs/common';
import { WsException } from '@nestjs/websockets';
import { ErrorCode } from './error-codes.js';
import { HistoryUnavailableError, SocketApiException, SocketApiValidationException } from './errors.js';
import type { ErrorPayload } from './messages.js';
import { ErrorMessage } from './socket-api.messages.js';
import { UnserializableValueError } from './to-plain.js';

/** Where an exception was thrown: a guard's refusal defaults to `FORBIDDEN`. */
export type ExceptionOrigin = 'guard' | 'handler';

/**
 * Maps what a handler (or its enhancers) threw to the error the client sees. Returns `undefined`
 * for anything not meant for clients: the caller logs it and sends `INTERNAL_ERROR`. May throw (an
 * exception's getters run here, a `WsException` object is serialized here): the caller catches.
 */
export function mapException(exception: unknown, origin: ExceptionOrigin): ErrorPayload | undefined {
  const fallbackCode = origin === 'guard' ? ErrorCode.FORBIDDEN : ErrorCode.BAD_REQUEST;
  if (exception instanceof SocketApiValidationException) {
    return { code: ErrorCode.VALIDATION_ERROR, message: exception.message, errors: exception.errors };
  }
  if (exception instanceof SocketApiException) {
    return { code: socketApiCode(exception.code, fallbackCode), message: exception.message };
  }
  if (exception instanceof HttpException) {
    return { code: httpStatusCode(exception.getStatus()), message: httpMessage(exception) };
  }
  if (exception instanceof WsException) {
    return wsPayload(exception.getError(), fallbackCode);
  }
  // Its own message may hold the store's details: the client gets the protocol's text.
  if (exception instanceof HistoryUnavailableError) {
    return { code: ErrorCode.UNAVAILABLE, message: ErrorMessage.unavailable };
  }
  return undefined;
}

export function internalError(): ErrorPayload {
  return { code: ErrorCode.INTERNAL_ERROR, message: ErrorMessage.internalError };
}

/** `404` → `NOT_FOUND`: the name of Nest's `HttpStatus` member, `HTTP_<n>` for other statuses. */
export function httpStatusCode(status: number): string {
  const name = (HttpStatus as unknown as Record<number, string | undefined>)[status];
  return name ?? `HTTP_${status}`;
}

/** A code is a string on the wire; one that is not (JavaScript callers may pass anything) is a bug in the server. */
function socketApiCode(code: unknown, fallbackCode: string): string {
  if (code === undefined || code === null) return fallbackCode;
  if (typeof code !== 'string') {
    throw new UnserializableValueError(`the code of a SocketApiException is a ${typeof code}`);
  }
  return code;
}

function httpMessage(exception: HttpException): string {
  const response = exception.getResponse();
  if (typeof response === 'string') return response;
  const message = (response as { message?: unknown }).message;
  if (typeof message === 'string') return message;
  // ValidationPipe and friends answer with a list of messages.
  if (Array.isArray(message)) return message.join('; ');
  return exception.message;
}

function wsPayload(error: string | object, fallbackCode: string): ErrorPayload {
  if (typeof error === 'string') return { code: fallbackCode, message: error };
  const { code, message } = error as { code?: unknown; message?: unknown };
  return {
    code: typeof code === 'string' ? code : fallbackCode,
    message: typeof message === 'string' ? message : JSON.stringify(error),
  };
}
