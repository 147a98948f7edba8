import { fail, type ValueReader } from './value-reader.js';

// What SocketAPI (pydantic, lax mode) accepts for numbers and booleans given as strings.
const NUMERIC = /^\s*[+-]?(\d+(\.\d*)?|\.\d+)([eE][+-]?\d+)?\s*$/;
const TRUE_WORDS = new Set(['true', '1', 'yes', 'on', 't', 'y']);
const FALSE_WORDS = new Set(['false', '0', 'no', 'off', 'f', 'n']);

// A missing value stays `undefined`, so that the parameter's default value applies.

export const readNumber: ValueReader = (value, path, errors) => {
  if (value === undefined || (typeof value === 'number' && Number.isFinite(value))) return value;
  if (typeof value === 'string' && NUMERIC.test(value)) {
    const number = Number(value);
    if (Number.isFinite(number)) return number;
  }
  return fail(errors, path, 'must be a number conforming to the specified constraints');
};

export const readBoolean: ValueReader = (value, path, errors) => {
  if (value === undefined || typeof value === 'boolean') return value;
  if (value === 0 || value === 1) return value === 1;
  if (typeof value === 'string') {
    const word = value.trim().toLowerCase();
    if (TRUE_WORDS.has(word)) return true;
    if (FALSE_WORDS.has(word)) return false;
  }
  return fail(errors, path, 'must be a boolean value');
};

export const readString: ValueReader = (value, path, errors) => {
  if (value === undefined || typeof value === 'string') return value;
  return fail(errors, path, 'must be a string');
};

export const readArray: ValueReader = (value, path, errors) => {
  if (value === undefined || Array.isArray(value)) return value;
  return fail(errors, path, 'must be an array');
};

/** `unknown`, `any`, interfaces and unions: any JSON value, unchecked. */
export const readAny: ValueReader = (value) => value;
