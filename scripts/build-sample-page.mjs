// Bundles the sample's browser page (sample/page/: a small UI over nestjs-socketapi-client and the
// rxjs parts it uses) into dist/sample-page/page.js and page.css, which sample/page.controller.ts
// serves. Run by `npm run start:sample` and by the tests' global setup; states the sizes when run
// as a script.
import { readFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';
import { gzipSync } from 'node:zlib';
import { bundleForBrowsers } from './browser-bundle.mjs';

const root = join(dirname(fileURLToPath(import.meta.url)), '..');
export const SAMPLE_PAGE_OUT = join(root, 'dist', 'sample-page');

/** Builds the bundle; returns each file's size in bytes, minified and gzipped (level 9). */
export async function buildSamplePage() {
  await bundleForBrowsers({
    name: 'page',
    entry: join(root, 'sample', 'page', 'main.ts'),
    outdir: SAMPLE_PAGE_OUT,
    tsconfig: join(root, 'sample', 'page', 'tsconfig.json'),
  });
  return Object.fromEntries(
    ['page.js', 'page.css'].map((file) => {
      const body = readFileSync(join(SAMPLE_PAGE_OUT, file));
      return [file, { minified: body.length, gzip: gzipSync(body, { level: 9 }).length }];
    }),
  );
}

// Run as a script. No top-level await: Jest's globalSetup loads this module through require().
if (import.meta.url === pathToFileURL(process.argv[1]).href) {
  buildSamplePage().then((sizes) => {
    for (const [file, { minified, gzip }] of Object.entries(sizes)) {
      console.log(`sample page: ${file} ${minified} B minified, ${gzip} B gzipped`);
    }
  });
}
