// Bundles the docs page (docs-ui/) into dist/docs-ui/app.js and app.css with esbuild: one script and
// one style sheet, minified, no source map, nothing fetched at run time. Run by `npm run build`, by
// `npm run start:sample` and by the tests' global setup (the library running from its TypeScript
// source finds the bundle under dist/docs-ui/, as the packed one does next to dist/lib/).
import { statSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';
import { bundleForBrowsers } from './browser-bundle.mjs';

const root = join(dirname(fileURLToPath(import.meta.url)), '..');
export const DOCS_UI_OUT = join(root, 'dist', 'docs-ui');

/** Builds the bundle; returns the size of each file in bytes. */
export async function buildDocsUi() {
  await bundleForBrowsers({
    name: 'app',
    entry: join(root, 'docs-ui', 'main.ts'),
    outdir: DOCS_UI_OUT,
    tsconfig: join(root, 'docs-ui', 'tsconfig.json'),
  });
  return Object.fromEntries(['app.js', 'app.css'].map((file) => [file, statSync(join(DOCS_UI_OUT, file)).size]));
}

// Run as a script: builds and states the size. No top-level await: Jest's globalSetup loads this
// module through require(), which refuses an ES module graph with one.
if (import.meta.url === pathToFileURL(process.argv[1]).href) {
  buildDocsUi().then((sizes) => {
    const total = sizes['app.js'] + sizes['app.css'];
    console.log(`docs-ui: app.js ${sizes['app.js']} B, app.css ${sizes['app.css']} B, ${total} B in all (minified)`);
  });
}
