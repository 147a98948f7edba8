const DANGEROUS_KEYS = ['__proto__', 'prototype', 'constructor'];

/**
 * Removes the keys through which a JSON object could reach prototypes once class-transformer
 * copies it onto a class instance. `data` comes from `JSON.parse`, so it holds no cycles; the walk
 * keeps its own stack so that deep nesting cannot overflow the call stack. It runs on every frame
 * with a DTO: only nested objects are stacked, so flat data (the common case) allocates nothing.
 */
export function stripProtoKeys(value: unknown): void {
  let stack: object[] | undefined;
  let current = value;
  for (;;) {
    if (typeof current === 'object' && current !== null) {
      for (let i = 0; i < DANGEROUS_KEYS.length; i++) {
        if (Object.hasOwn(current, DANGEROUS_KEYS[i])) delete (current as Record<string, unknown>)[DANGEROUS_KEYS[i]];
      }
      for (const key in current) {
        const child = (current as Record<string, unknown>)[key];
        if (typeof child === 'object' && child !== null) (stack ??= []).push(child);
      }
    }
    if (stack === undefined || stack.length === 0) return;
    current = stack.pop();
  }
}
