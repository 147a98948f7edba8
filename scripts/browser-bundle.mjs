// The one esbuild setup of the pages this repository serves to browsers (the docs page, the sample's
// page): one script and, when the entry imports one, one style sheet, minified, for the browsers the
// pages support, with nothing fetched at run time.
import { build } from 'esbuild';

/**
 * Bundles `entry` into `outdir/<name>.js` (+ `.css`); `tsconfig` gives the compiler options (esbuild
 * only transpiles: type checking is `npm run typecheck`'s job).
 */
export async function bundleForBrowsers({ name, entry, outdir, tsconfig }) {
  await build({
    entryPoints: { [name]: entry },
    outdir,
    bundle: true,
    minify: true,
    format: 'esm',
    target: ['es2022', 'chrome110', 'firefox110', 'safari16'],
    legalComments: 'none',
    logLevel: 'warning',
    tsconfig,
  });
}
