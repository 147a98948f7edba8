import type { FieldError } from '../protocol/errors.js';

/** The most entries a `VALIDATION_ERROR` lists in `errors`. */
export const MAX_LISTED_ERRORS = 100;
/** The most characters of paths and messages it lists in all (the first entry is always listed). */
export const MAX_LISTED_CHARACTERS = 16_384;
/** The longest path or message listed as it is; a longer one is cut, and ends with `…`. */
export const MAX_LISTED_TEXT = 512;

/**
 * What a `VALIDATION_ERROR` lists of `errors`: `errors` itself when it is small, else the first ones,
 * each path and message cut to `MAX_LISTED_TEXT`. A small frame can fail in thousands of places, and
 * a key the client chose can prefix the path of every error under it (the key of a `Map` of DTOs):
 * listed as they are, they would make the answer many times larger than the frame.
 */
export function listedErrors(errors: FieldError[]): FieldError[] {
  let characters = 0;
  let cut = errors.length > MAX_LISTED_ERRORS;
  const listed: FieldError[] = [];
  for (const error of errors) {
    if (listed.length === MAX_LISTED_ERRORS) break;
    const entry = { path: shortened(error.path), messages: error.messages.map(shortened) };
    if (entry.path !== error.path || entry.messages.some((message, i) => message !== error.messages[i])) cut = true;
    characters += entry.path.length + entry.messages.reduce((sum, message) => sum + message.length, 0);
    if (characters > MAX_LISTED_CHARACTERS && listed.length > 0) {
      cut = true;
      break;
    }
    listed.push(entry);
  }
  return cut ? listed : errors;
}

function shortened(text: string): string {
  return text.length > MAX_LISTED_TEXT ? `${text.slice(0, MAX_LISTED_TEXT - 1)}…` : text;
}
