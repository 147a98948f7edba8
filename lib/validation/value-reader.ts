import type { FieldError } from '../protocol/errors.js';

/**
 * Turns one raw value of `data` into a handler argument. Failures go to `errors` (every failing
 * property is reported, not only the first); the return value is then ignored.
 */
export type ValueReader = (value: unknown, path: string, errors: FieldError[]) => unknown;

/** How a value is named in messages: its path, or `data` for the whole object. */
export function label(path: string): string {
  return path === '' ? 'data' : path;
}

export function fail(errors: FieldError[], path: string, message: string): undefined {
  errors.push({ path, messages: [`${label(path)} ${message}`] });
  return undefined;
}
