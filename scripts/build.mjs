// Builds the package's dist/lib from scratch, with Node only (no shell, no rimraf):
// 1. removes dist/lib, so that files of deleted or renamed sources (or of another tsconfig that
//    compiles lib/ into dist/lib, such as the sample's) are never shipped;
// 2. compiles lib/ with tsconfig.build.json (JavaScript and declarations, no source maps);
// 3. copies the hand-written declarations (lib/**/*.d.ts), which tsc reads but does not emit;
// 4. bundles the docs page into dist/docs-ui/ (scripts/build-docs-ui.mjs);
// 5. bundles nestjs-socketapi/testing (the kit and the client) into dist/testing/ (scripts/build-testing.mjs).
import { execFileSync } from 'node:child_process';
import { copyFileSync, mkdirSync, readdirSync, rmSync } from 'node:fs';
import { createRequire } from 'node:module';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { buildDocsUi } from './build-docs-ui.mjs';
import { buildTesting } from './build-testing.mjs';

const root = join(dirname(fileURLToPath(import.meta.url)), '..');
const out = join(root, 'dist', 'lib');

rmSync(out, { recursive: true, force: true });
const tsc = createRequire(import.meta.url).resolve('typescript/bin/tsc');
execFileSync(process.execPath, [tsc, '-p', join(root, 'tsconfig.build.json')], { cwd: root, stdio: 'inherit' });
for (const file of readdirSync(join(root, 'lib'), { recursive: true, encoding: 'utf8' })) {
  if (!file.endsWith('.d.ts')) continue;
  mkdirSync(join(out, dirname(file)), { recursive: true });
  copyFileSync(join(root, 'lib', file), join(out, file));
}
await buildDocsUi();
await buildTesting();
