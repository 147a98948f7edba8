import { instanceToPlain, type ClassTransformOptions } from 'class-transformer';

const MAX_SCAN_DEPTH = 32;

/**
 * Turns class instances (anywhere in the value) into plain JSON through class-transformer, so
 * `@Exclude()`/`@Expose()` hold on the wire. Plain values, the common case, are returned as they
 * are, without paying for class-transformer.
 */
export function toPlain(value: unknown, options?: ClassTransformOptions): unknown {
  return holdsClassInstance(value, 0) ? instanceToPlain(value, options) : value;
}

function holdsClassInstance(value: unknown, depth: number): boolean {
  if (typeof value !== 'object' || value === null) return false;
  // Past this depth the scan stops guessing and lets class-transformer decide.
  if (depth > MAX_SCAN_DEPTH) return true;
  if (Array.isArray(value)) return value.some((item) => holdsClassInstance(item, depth + 1));
  const proto = Object.getPrototypeOf(value);
  if (proto !== Object.prototype && proto !== null) return true;
  for (const key in value) {
    if (holdsClassInstance((value as Record<string, unknown>)[key], depth + 1)) return true;
  }
  return false;
}
