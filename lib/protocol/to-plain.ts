import { instanceToPlain, type ClassTransformOptions } from 'class-transformer';

/**
 * A value that JSON cannot carry as it is. Thrown rather than sending something other than what
 * the server code gave: JSON would turn `Infinity` and `NaN` into `null` without a word.
 */
export class UnserializableValueError extends Error {
  constructor(problem: string) {
    super(`Cannot be sent as JSON: ${problem}.`);
    this.name = 'UnserializableValueError';
  }
}

/** What a walk over a value found. */
const Found = { PlainData: 0, ClassInstance: 1, Unfaithful: 2 } as const;
type Found = (typeof Found)[keyof typeof Found];

/**
 * Turns class instances (anywhere in the value) into plain JSON through class-transformer, so
 * `@Exclude()`/`@Expose()` hold on the wire. Plain values, the common case, are returned as they
 * are, without paying for class-transformer. A value JSON would alter or drop (a non-finite number
 * or a BigInt anywhere; a function or symbol as the whole value) throws `UnserializableValueError`:
 * the same walk that looks for class instances checks the numbers, so plain data pays nothing more.
 */
export function toPlain(value: unknown, options?: ClassTransformOptions): unknown {
  const found = walk(value, true);
  if (found === Found.PlainData) return value;
  if (found === Found.Unfaithful) throw new UnserializableValueError(describeProblem(value));
  const plain: unknown = instanceToPlain(value, options);
  // class-transformer copies numbers as they are: its output gets the same check.
  if (walk(plain, false) === Found.Unfaithful) throw new UnserializableValueError(describeProblem(plain));
  return plain;
}

/**
 * One pass with its own stack (deep plain data, which JSON.stringify handles, must not overflow
 * it). Stops at the first class instance when `stopAtInstance`, as class-transformer then redoes it.
 */
function walk(value: unknown, stopAtInstance: boolean): Found {
  if (typeof value !== 'object' || value === null) return isFaithful(value, true) ? Found.PlainData : Found.Unfaithful;
  const stack: unknown[] = [value];
  const seen = new Set<object>();
  while (stack.length > 0) {
    const current = stack.pop();
    if (typeof current !== 'object' || current === null) {
      if (!isFaithful(current, false)) return Found.Unfaithful;
      continue;
    }
    if (seen.has(current)) continue;
    seen.add(current);
    if (Array.isArray(current)) {
      for (const item of current) stack.push(item);
      continue;
    }
    const proto = Object.getPrototypeOf(current) as object | null;
    if (stopAtInstance && proto !== Object.prototype && proto !== null) return Found.ClassInstance;
    for (const key in current) stack.push((current as Record<string, unknown>)[key]);
  }
  return Found.PlainData;
}

/**
 * Nested functions, symbols and `undefined` are left out by JSON, as JavaScript code expects (an
 * absent key reads back as `undefined`); at the top they would leave nothing to send.
 */
function isFaithful(value: unknown, atTop: boolean): boolean {
  switch (typeof value) {
    case 'number':
      return Number.isFinite(value);
    case 'bigint':
      return false;
    case 'function':
    case 'symbol':
      return !atTop;
    default:
      return true;
  }
}

/** Where the first unfaithful value is, for the log; only on the failure path, so it may allocate. */
function describeProblem(value: unknown): string {
  const stack: Array<[unknown, string]> = [[value, '']];
  const seen = new Set<object>();
  while (stack.length > 0) {
    const [current, path] = stack.pop()!;
    if (typeof current !== 'object' || current === null) {
      if (isFaithful(current, path === '')) continue;
      return path === '' ? `the value is ${describeValue(current)}` : `${describeValue(current)} at ${path}`;
    }
    if (seen.has(current)) continue;
    seen.add(current);
    if (Array.isArray(current)) {
      for (let i = current.length - 1; i >= 0; i--) stack.push([current[i], `${path}[${i}]`]);
      continue;
    }
    for (const key of Object.keys(current).reverse()) {
      stack.push([(current as Record<string, unknown>)[key], path === '' ? key : `${path}.${key}`]);
    }
  }
  return 'a value JSON cannot hold';
}

function describeValue(value: unknown): string {
  if (typeof value === 'bigint') return `the BigInt ${value}n`;
  if (typeof value === 'number') return String(value);
  return `a ${typeof value}`;
}
