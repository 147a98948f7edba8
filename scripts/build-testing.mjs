// Builds nestjs-socketapi/testing into dist/testing/: the kit (testing/) and the client it wraps
// (client/src/, the code of nestjs-socketapi-client) bundled into one ES module by esbuild, so that
// the server package's tarball alone provides it; and their declarations, by tsc, under
// dist/testing/types/. The bundle imports the library by its package name (the app's installed copy:
// one SOCKET_API_OPTIONS token, the app's), and the peers the app has (rxjs, ws, @nestjs/*).
import { build } from 'esbuild';
import { execFileSync } from 'node:child_process';
import { cpSync, rmSync } from 'node:fs';
import { createRequire } from 'node:module';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';

const root = join(dirname(fileURLToPath(import.meta.url)), '..');
const out = join(root, 'dist', 'testing');
const declarations = join(root, 'dist', 'testing-declarations');
const LIBRARY_ENTRY = join(root, 'lib', 'index.ts');

/** The kit's `../lib/index.js` is the package itself, imported by its name rather than bundled twice. */
const libraryByName = {
  name: 'library-by-name',
  setup(builder) {
    builder.onResolve({ filter: /\/lib\/index\.js$/ }, (args) =>
      join(args.resolveDir, args.path.replace(/\.js$/, '.ts')) === LIBRARY_ENTRY
        ? { path: 'nestjs-socketapi', external: true }
        : undefined,
    );
  },
};

export async function buildTesting() {
  rmSync(out, { recursive: true, force: true });
  await build({
    entryPoints: { index: join(root, 'testing', 'index.ts') },
    outdir: out,
    bundle: true,
    format: 'esm',
    platform: 'node',
    target: 'node20',
    packages: 'external',
    plugins: [libraryByName],
    legalComments: 'none',
    logLevel: 'warning',
    tsconfig: join(root, 'tsconfig.build.json'),
  });
  rmSync(declarations, { recursive: true, force: true });
  const tsc = createRequire(import.meta.url).resolve('typescript/bin/tsc');
  execFileSync(process.execPath, [tsc, '-p', join(root, 'tsconfig.testing.json')], { cwd: root, stdio: 'inherit' });
  for (const folder of ['testing', join('client', 'src')]) {
    cpSync(join(declarations, folder), join(out, 'types', folder), { recursive: true });
  }
  rmSync(declarations, { recursive: true, force: true });
}
