/**
 * Records built from what a client sent (query, cookies) have no prototype: a key such as
 * `__proto__`, `constructor` or `hasOwnProperty` is then just a key, never an inherited member that
 * `record[key]` would read back (`?constructor=x` gave `[ƒ Object, 'x']`) or a method it would shadow.
 */
function emptyRecord<R extends object>(): R {
  return Object.create(null) as R;
}

/** Query parameters of a request URL; a repeated key gives an array. */
export function parseQuery(url: string): Record<string, string | string[]> {
  const query = emptyRecord<Record<string, string | string[]>>();
  const start = url.indexOf('?');
  if (start === -1) return query;
  for (const [key, value] of new URLSearchParams(url.slice(start + 1))) {
    const previous = query[key];
    if (previous === undefined) query[key] = value;
    else if (Array.isArray(previous)) previous.push(value);
    else query[key] = [previous, value];
  }
  return query;
}

/** Cookies of a `Cookie` header; the first of a repeated name wins, as browsers send the most specific first. */
export function parseCookies(header: string | undefined): Record<string, string> {
  const cookies = emptyRecord<Record<string, string>>();
  for (const pair of header?.split(';') ?? []) {
    const separator = pair.indexOf('=');
    if (separator === -1) continue;
    const name = pair.slice(0, separator).trim();
    if (name === '' || name in cookies) continue;
    cookies[name] = decodeCookieValue(pair.slice(separator + 1).trim());
  }
  return cookies;
}

function decodeCookieValue(value: string): string {
  const unquoted = value.startsWith('"') && value.endsWith('"') && value.length >= 2 ? value.slice(1, -1) : value;
  try {
    return decodeURIComponent(unquoted);
  } catch {
    return unquoted;
  }
}
