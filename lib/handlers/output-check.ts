import { Logger } from '@nestjs/common';
import type { ClassTransformOptions } from 'class-transformer';
import type { ValidatorOptions } from 'class-validator';
import type { OutputValidationMode, SocketReplyType } from '../interfaces/socket-reply-type.interface.js';
import { ErrorLogLimiter } from '../logging/error-log-limiter.js';
import { outputSentAnyway, outputViolations } from '../logging/log.messages.js';
import { ThrottledWarning } from '../logging/throttled-warning.js';
import {
  compileOutputProjector,
  OutputShapeError,
  type OutputProjector,
  type OutputViolation,
} from '../validation/output-projector.js';
import { describeTarget, SocketApiDeclarationError, type HandlerTarget } from './handler-target.js';

/**
 * A value that breaks its declared type under `outputValidation: 'error'`: it is not sent. Its
 * message names the handler, the paths and the rules, never the values.
 */
export class OutputValidationError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'OutputValidationError';
  }
}

/**
 * What a value a handler sends becomes on the wire: the plain JSON value, projected to the declared
 * type. Throws `OutputValidationError` when the value must not be sent, and
 * `UnserializableValueError` when JSON cannot carry it.
 */
export type ToWire = (value: unknown) => unknown;

export interface OutputCheckSettings {
  /** The handler's own `outputValidation`, else the module's. */
  mode: OutputValidationMode;
  /** The validator options the handler's DTOs are read with (the module's, merged with its `validation`). */
  validator: ValidatorOptions;
  serialization?: ClassTransformOptions;
  errorLogIntervalMs: number;
}

const logger = new Logger('SocketApi');

/**
 * Compiled once per handler at startup: `undefined` when what it returns is sent as it is (mode
 * `'off'`, or no declared type). A DTO the projection cannot follow is a startup error naming the method.
 */
export function compileOutputCheck(
  target: HandlerTarget,
  type: SocketReplyType | undefined,
  settings: OutputCheckSettings,
): ToWire | undefined {
  if (settings.mode === 'off' || type === undefined) return undefined;
  let project: OutputProjector;
  try {
    project = compileOutputProjector(type, settings.validator, settings.serialization);
  } catch (problem) {
    if (problem instanceof OutputShapeError) {
      throw new SocketApiDeclarationError(target, `outputValidation '${settings.mode}': ${problem.message}`);
    }
    throw problem;
  }
  const what =
    target.kind === 'action'
      ? `The reply of action '${target.name}' (${describeTarget(target)})`
      : `A value of channel '${target.name}' (${describeTarget(target)})`;
  const typeName = typeNameOf(type);
  if (settings.mode === 'warn') {
    const warning = new ThrottledWarning(logger, settings.errorLogIntervalMs);
    return (value) => {
      const violations: OutputViolation[] = [];
      const projected = project(value, violations);
      if (violations.length > 0) {
        const line = outputViolations(what, typeName, violations);
        warning.report((count) => outputSentAnyway(line, count));
      }
      return projected;
    };
  }
  // An action's refused reply is logged by the router, with the request it answers; a publication
  // throws in the publisher's stack, which may not log: it is logged here.
  const errorLog = target.kind === 'channel' ? new ErrorLogLimiter(logger, settings.errorLogIntervalMs) : undefined;
  return (value) => {
    const violations: OutputViolation[] = [];
    const projected = project(value, violations);
    if (violations.length === 0) return projected;
    const refused = new OutputValidationError(outputViolations(what, typeName, violations));
    errorLog?.error(`${what} was not sent`, refused);
    throw refused;
  };
}

/** `UserDto`, `UserDto[]`, `number`: how the log names a declared type. */
function typeNameOf(type: SocketReplyType): string {
  if (Array.isArray(type)) return `${typeNameOf(type[0] as SocketReplyType)}[]`;
  if (type === Number) return 'number';
  if (type === String) return 'string';
  if (type === Boolean) return 'boolean';
  return (type as { name: string }).name;
}
