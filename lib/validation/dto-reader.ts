import type { Type } from '@nestjs/common';
import { plainToInstance, type ClassTransformOptions } from 'class-transformer';
import { getMetadataStorage, validate, type ValidationError, type ValidatorOptions } from 'class-validator';
import type { FieldError } from '../protocol/errors.js';
import { compileDtoFastPath, FALLBACK } from './dto-fast-path.js';
import { stripProtoKeys } from './strip-proto-keys.js';
import { compileUnknownKeys } from './unknown-keys.js';
import { fail, type ValueReader } from './value-reader.js';

export function hasValidationRules(type: Type<object>): boolean {
  return getMetadataStorage().getTargetValidationMetadatas(type, '', true, false).length > 0;
}

/**
 * A DTO parameter: the object is turned into an instance of `type` and validated. Valid input of
 * the common shape is decided synchronously by the compiled fast path; everything else, and every
 * invalid input, goes through class-transformer and class-validator themselves. `strict`: keys the
 * DTO does not declare are refused at any depth (see `compileUnknownKeys`), reported with the
 * validation errors of the same input.
 */
export function dtoReader(
  type: Type<object>,
  validatorOptions: ValidatorOptions,
  transformerOptions: ClassTransformOptions,
  strict?: StrictInput,
): ValueReader {
  const read = validatingReader(type, validatorOptions, transformerOptions);
  if (!strict) return read;
  const unknownKeys = compileUnknownKeys(type, validatorOptions, strict);
  const reference = referenceDtoReader(type, validatorOptions, transformerOptions);
  return (value, path, errors) => {
    const before = errors.length;
    try {
      unknownKeys(value, path, errors);
    } catch (exception) {
      if (exception instanceof RangeError) return fail(errors, path, 'is nested too deeply');
      throw exception;
    }
    // Refused input is no common case: class-validator itself adds its errors to the unknown keys.
    return errors.length === before ? read(value, path, errors) : reference(value, path, errors);
  };
}

/** Strict input for one DTO parameter. */
export interface StrictInput {
  /** Keys of the top object that other parameters read (`@Data('name')` beside a `@Data()` DTO). */
  rootKeys?: readonly string[];
  /** Another parameter reads the whole top object unchecked: only the nested DTOs are strict. */
  openRoot?: boolean;
}

function validatingReader(
  type: Type<object>,
  validatorOptions: ValidatorOptions,
  transformerOptions: ClassTransformOptions,
): ValueReader {
  const reference = referenceDtoReader(type, validatorOptions, transformerOptions);
  const fastPath = compileDtoFastPath(type, validatorOptions, transformerOptions);
  if (!fastPath) return reference;
  return (value, path, errors) => {
    if (typeof value === 'object' && value !== null && !Array.isArray(value)) {
      // The fast path strips the prototype keys itself, in the walk that copies the data.
      const instance = fastPath(value);
      if (instance !== FALLBACK) return instance;
    }
    return reference(value, path, errors);
  };
}

/** class-transformer and class-validator alone: the slow path, and the fast path's reference. */
export function referenceDtoReader(
  type: Type<object>,
  validatorOptions: ValidatorOptions,
  transformerOptions: ClassTransformOptions,
): ValueReader {
  return async (value, path, errors) => {
    if (value === undefined || value === null) return fail(errors, path, 'should not be null or undefined');
    if (typeof value !== 'object' || Array.isArray(value)) return fail(errors, path, 'must be an object');
    stripProtoKeys(value);
    try {
      const instance = plainToInstance(type, value, transformerOptions);
      collectErrors(await validate(instance, validatorOptions), path, errors);
      return instance;
    } catch (exception) {
      // Both libraries recurse: data nested deeper than the stack is refused, not a server error.
      if (exception instanceof RangeError) return fail(errors, path, 'is nested too deeply');
      throw exception;
    }
  };
}

/**
 * class-validator's tree of errors as one entry per failing property, dotted from `prefix`. An error
 * without a property is about the object at `prefix` itself: a nested value without `@Type` is a
 * plain object, which class-validator refuses as "an unknown value" under `forbidUnknownValues`.
 */
export function collectErrors(failures: ValidationError[], prefix: string, errors: FieldError[]): void {
  for (const failure of failures) {
    const property = failure.property as string | undefined;
    const path = property === undefined ? prefix : prefix === '' ? property : `${prefix}.${property}`;
    if (failure.constraints) errors.push({ path, messages: Object.values(failure.constraints) });
    if (failure.children?.length) collectErrors(failure.children, path, errors);
  }
}
