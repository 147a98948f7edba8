export function assertHandlerName(decorator: string, name: unknown): asserts name is string {
  if (typeof name !== 'string' || name === '') {
    throw new TypeError(`@${decorator}() needs a non-empty name, got ${JSON.stringify(name)}.`);
  }
}
