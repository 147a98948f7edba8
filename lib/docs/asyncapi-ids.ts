/**
 * Keys of the document's maps (`channels`, `operations`, `securitySchemes`), made from wire names: any non-empty string is
 * a valid name, but a key goes into `$ref` pointers (`#/channels/<key>`), where `/`, `~`, `#`, `%`
 * and spaces would need escaping that tools do not all get right. So a key keeps letters, digits,
 * `_`, `.` and `-` and replaces the rest with `_`, with a number appended when two names give the
 * same key; `x-socketapi-name` keeps the name itself.
 */
export class AsyncApiIds {
  private readonly used = new Set<string>();

  /** A key made from `name`, not given before by this instance. */
  take(name: string): string {
    const base = name.replace(/[^A-Za-z0-9_.-]/g, '_');
    let key = base;
    for (let n = 2; this.used.has(key); n++) key = `${base}_${n}`;
    this.used.add(key);
    return key;
  }
}
