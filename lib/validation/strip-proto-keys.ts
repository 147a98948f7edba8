/**
 * Removes the keys through which a JSON object could reach prototypes once class-transformer
 * copies it onto a class instance: `__proto__`, `prototype`, `constructor`. `data` comes from
 * `JSON.parse`, so it holds no cycles and its own keys are all enumerable: the `for…in` that walks it
 * sees them, and a key is compared with the three names rather than looked up three times in every
 * object. The walk keeps its own stack so that deep nesting cannot overflow the call stack, and
 * stacks only nested objects: flat data (the common case, on every frame with a DTO) allocates nothing.
 */
export function stripProtoKeys(value: unknown): void {
  let stack: object[] | undefined;
  let current = value;
  for (;;) {
    if (typeof current === 'object' && current !== null) {
      const object = current as Record<string, unknown>;
      for (const key in object) {
        if (key === '__proto__' || key === 'prototype' || key === 'constructor') {
          // for…in also lists inherited enumerable keys: only an own one is removed.
          if (Object.hasOwn(object, key)) delete object[key];
          continue;
        }
        const child = object[key];
        if (typeof child === 'object' && child !== null) (stack ??= []).push(child);
      }
    }
    if (stack === undefined || stack.length === 0) return;
    current = stack.pop();
  }
}
