const DANGEROUS_KEYS = ['__proto__', 'prototype', 'constructor'];

/**
 * Removes the keys through which a JSON object could reach prototypes once class-transformer
 * copies it onto a class instance. `data` comes from `JSON.parse`, so it holds no cycles; the walk
 * keeps its own stack so that deep nesting cannot overflow the call stack.
 */
export function stripProtoKeys(value: unknown): void {
  const stack = [value];
  while (stack.length > 0) {
    const current = stack.pop();
    if (typeof current !== 'object' || current === null) continue;
    for (const key of DANGEROUS_KEYS) {
      if (Object.hasOwn(current, key)) delete (current as Record<string, unknown>)[key];
    }
    for (const key in current) stack.push((current as Record<string, unknown>)[key]);
  }
}
