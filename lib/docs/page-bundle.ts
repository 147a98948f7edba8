import { createHash } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';

/** One of the page's static files, read once at startup. */
export interface PageAsset {
  body: Buffer;
  contentType: string;
  /** A strong validator of the content, for `If-None-Match`. */
  etag: string;
}

export interface PageBundle {
  script: PageAsset;
  style: PageAsset;
}

/**
 * Where the esbuild output (scripts/build-docs-ui.mjs writes `dist/docs-ui/app.{js,css}`) lies
 * relative to this file: next to the compiled library in the package (`dist/lib/docs/` →
 * `dist/docs-ui/`), or under the checkout's `dist/` when the library runs from its TypeScript
 * source (ts-jest: `lib/docs/` → `dist/docs-ui/`).
 */
const CANDIDATES = ['../../docs-ui/', '../../dist/docs-ui/'].map((relative) => new URL(relative, import.meta.url));

/** The page's bundle, or the directories looked in when it is missing. */
export function loadPageBundle(): PageBundle | { tried: string[] } {
  for (const directory of CANDIDATES) {
    try {
      return {
        script: asset(readFileSync(new URL('app.js', directory)), 'text/javascript; charset=utf-8'),
        style: asset(readFileSync(new URL('app.css', directory)), 'text/css; charset=utf-8'),
      };
    } catch {
      // Not built there: the next candidate.
    }
  }
  return { tried: CANDIDATES.map((directory) => fileURLToPath(directory)) };
}

export function asset(body: Buffer, contentType: string): PageAsset {
  return { body, contentType, etag: `"${createHash('sha256').update(body).digest('base64url').slice(0, 27)}"` };
}
