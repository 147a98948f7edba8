/** A JSON Schema `pattern` equivalent to a JavaScript RegExp's `test`, or why there is none. */
export type PatternResult = { pattern: string } | { reason: string };

// Flags that do not change whether `test`/`match` finds a match from the start of a fresh string.
const HARMLESS_FLAGS = new Set(['g', 'd']);

/**
 * JSON Schema validators compile a `pattern` as `new RegExp(pattern, 'u')` with no other flag and,
 * like `RegExp.prototype.test`, unanchored. So a source carries over as is when the JavaScript
 * RegExp has no flag that changes its meaning and also compiles under `u`; `y` (sticky: a match
 * at index 0) becomes a leading `^`, and `i` is spelled out as `[aA]` classes for ASCII letters
 * where that is exact. Anything else (`m`, `s`, `v`, `i` with back-references or non-ASCII text,
 * named groups or property escapes) is reported rather than approximated.
 */
export function regExpToPattern(source: string | RegExp, modifiers?: string): PatternResult {
  let regExp: RegExp;
  try {
    regExp = typeof source === 'string' ? new RegExp(source, modifiers) : source;
  } catch {
    return { reason: 'the pattern is not a valid regular expression' };
  }
  if (typeof source !== 'string' && regExp.sticky && !regExp.global) {
    // `match` reads and moves a sticky RegExp's lastIndex: its verdict depends on the value checked before.
    return { reason: 'a sticky RegExp object without "g" keeps lastIndex between values: its verdict varies' };
  }
  let pattern = regExp.source;
  const flags = new Set([...regExp.flags].filter((flag) => !HARMLESS_FLAGS.has(flag)));
  const unicode = flags.delete('u');
  if (flags.delete('i')) {
    if (unicode) return { reason: 'the flags "iu" fold case in ways a pattern without flags cannot spell out' };
    const spelled = spellOutCase(pattern);
    if (spelled === undefined) {
      return { reason: 'the "i" flag applies to back-references, non-ASCII text or named groups here' };
    }
    pattern = spelled;
  }
  if (flags.delete('y')) pattern = `^(?:${pattern})`;
  if (flags.size > 0) return { reason: `the flag(s) "${[...flags].join('')}" have no JSON Schema equivalent` };
  try {
    new RegExp(pattern, 'u');
  } catch {
    return { reason: 'the pattern is not valid with the "u" flag that JSON Schema validators compile patterns with' };
  }
  return { pattern };
}

/**
 * The ASCII letters of `source` as both cases (`a` → `[aA]`, `[a-f]` → `[a-fA-F]`): what the `i`
 * flag means without `u` for text whose letters are ASCII (non-`u` case folding never maps a
 * non-ASCII character to an ASCII one). `undefined` where that is not exact.
 */
function spellOutCase(source: string): string | undefined {
  // Text beyond printable ASCII, back-references (compared case-insensitively), named groups, \k, \p, \c.
  if (/[^ -~]|\\[1-9kpPc]|\(\?</.test(source)) return undefined;
  let out = '';
  for (let i = 0; i < source.length; i++) {
    const char = source[i];
    if (char === '\\') {
      out += escapeAt(source, i);
      i += escapeAt(source, i).length - 1;
    } else if (char === '[') {
      const end = classEnd(source, i);
      if (end === undefined) return undefined;
      const body = spellOutClass(source.slice(i + 1, end));
      if (body === undefined) return undefined;
      out += `[${body}]`;
      i = end;
    } else {
      out += bothCases(char) ?? char;
    }
  }
  return out;
}

/** A class body with each letter and letter range in both cases; `undefined` for ranges across cases. */
function spellOutClass(body: string): string | undefined {
  let out = '';
  const extra: string[] = [];
  for (let i = 0; i < body.length; i++) {
    if (body[i] === '\\') {
      const escape = escapeAt(body, i);
      // A range from an escape (`[\x00-a]`) may hold one case of a letter and not the other.
      if (body[i + escape.length] === '-' && i + escape.length + 1 < body.length) return undefined;
      out += escape;
      i += escape.length - 1;
      continue;
    }
    if (body[i + 1] === '-' && i + 2 < body.length && body[i + 2] !== '\\') {
      const [from, to] = [body[i], body[i + 2]];
      out += `${from}-${to}`;
      const lower = /[a-z]/.test(from) && /[a-z]/.test(to);
      const upper = /[A-Z]/.test(from) && /[A-Z]/.test(to);
      if (lower || upper) extra.push(`${swapCase(from)}-${swapCase(to)}`);
      else if (/[a-zA-Z]/.test(from) || /[a-zA-Z]/.test(to) || (from < 'a' && to > 'Z')) return undefined;
      i += 2;
      continue;
    }
    out += body[i];
    if (/[a-zA-Z]/.test(body[i])) extra.push(swapCase(body[i]));
  }
  // A negated class stays negated over both cases: the added letters join the excluded set.
  return out + extra.join('');
}

/** The escape sequence starting at `source[i]` (a backslash): `\d`, `\u00e9`, `\x41`, `\u{1F600}`… */
function escapeAt(source: string, i: number): string {
  const next = source[i + 1] ?? '';
  if (next === 'u' && source[i + 2] === '{') return source.slice(i, source.indexOf('}', i) + 1);
  if (next === 'u') return source.slice(i, i + 6);
  if (next === 'x') return source.slice(i, i + 4);
  return source.slice(i, i + 2);
}

/** Index of the `]` closing the class opened at `start`. */
function classEnd(source: string, start: number): number | undefined {
  for (let i = start + 1; i < source.length; i++) {
    if (source[i] === '\\') i++;
    // Unlike POSIX, a `]` right after `[` or `[^` closes the class (`[]` matches nothing).
    else if (source[i] === ']') return i;
  }
  return undefined;
}

function bothCases(char: string): string | undefined {
  return /[a-zA-Z]/.test(char) ? `[${char.toLowerCase()}${char.toUpperCase()}]` : undefined;
}

function swapCase(char: string): string {
  return char === char.toLowerCase() ? char.toUpperCase() : char.toLowerCase();
}
