/** A count with its noun, for log lines: `1 channel`, `0 channels`, `2 actions` (nouns that take an `s`). */
export function countOf(count: number, noun: string): string {
  return `${count} ${noun}${count === 1 ? '' : 's'}`;
}
