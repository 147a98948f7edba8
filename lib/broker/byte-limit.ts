/**
 * A byte limit from the options: a positive whole number, else an error naming the option. A NaN
 * or negative limit would silently turn the bound off (every comparison with it is false).
 */
export function byteLimit(name: string, value: number): number {
  if (!Number.isSafeInteger(value) || value <= 0) {
    throw new Error(`${name} must be a positive whole number of bytes, got ${String(value)}.`);
  }
  return value;
}
