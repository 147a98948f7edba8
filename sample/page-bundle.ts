import { readFileSync } from 'node:fs';

/**
 * Where scripts/build-sample-page.mjs writes the page's bundle (`dist/sample-page/`), relative to this
 * file: compiled (`dist/sample/` → `dist/sample-page/`) or run from its TypeScript source by the tests
 * (`sample/` → `dist/sample-page/`).
 */
const CANDIDATES = ['../sample-page/', '../dist/sample-page/'].map((relative) => new URL(relative, import.meta.url));

const loaded = new Map<string, string>();

/**
 * A file of the page's bundle (`page.js`, `page.css`), read on first use rather than at startup, so that
 * the app still starts without it (`npm run contract:sample` loads this module); undefined when it
 * was not built.
 */
export function pageBundleFile(file: 'page.js' | 'page.css'): string | undefined {
  const cached = loaded.get(file);
  if (cached !== undefined) return cached;
  for (const directory of CANDIDATES) {
    try {
      const text = readFileSync(new URL(file, directory), 'utf8');
      loaded.set(file, text);
      return text;
    } catch {
      // Not built there: the next candidate.
    }
  }
  return undefined;
}
