import { instanceToPlain, type ClassTransformOptions } from 'class-transformer';

/**
 * Turns class instances (anywhere in the value) into plain JSON through class-transformer, so
 * `@Exclude()`/`@Expose()` hold on the wire. Plain values, the common case, are returned as they
 * are, without paying for class-transformer.
 */
export function toPlain(value: unknown, options?: ClassTransformOptions): unknown {
  return holdsClassInstance(value) ? instanceToPlain(value, options) : value;
}

/** A walk with its own stack: deep plain data (which JSON.stringify handles) must not overflow it. */
function holdsClassInstance(value: unknown): boolean {
  const stack = [value];
  const seen = new Set<object>();
  while (stack.length > 0) {
    const current = stack.pop();
    if (typeof current !== 'object' || current === null || seen.has(current)) continue;
    seen.add(current);
    if (Array.isArray(current)) {
      for (const item of current) stack.push(item);
      continue;
    }
    const proto = Object.getPrototypeOf(current);
    if (proto !== Object.prototype && proto !== null) return true;
    for (const key in current) stack.push((current as Record<string, unknown>)[key]);
  }
  return false;
}
