import { execFileSync, spawn } from 'node:child_process';
import { existsSync, mkdirSync, readFileSync, rmSync, symlinkSync } from 'node:fs';
import { join, resolve } from 'node:path';

// The testing recipes of docs/testing.md, run as a user's app runs them: each recipe is a small app
// with its own package.json ("type": "module" with Vitest, "type": "commonjs" with Jest), its own
// runner configuration and the README's example test, importing the library by its package name.
// The name resolves through test/recipes/node_modules/nestjs-socketapi, a symlink to this repository
// made here: Node, Vite and Jest then read the package's "exports" and load the built dist/lib, as
// from an install, and the app's other packages (Nest, superwstest) come from the repository's
// node_modules, offline and without an install (test/package.e2e.spec.ts covers the packed tarball).
const root = resolve('.');
const recipes = join(root, 'test', 'recipes');
const linkDir = join(recipes, 'node_modules');

interface Run {
  code: number | null;
  output: string;
}

/** Runs a command in a recipe's folder with the environment of a user's shell, not of this Jest. */
function run(recipe: string, command: string, args: string[]): Promise<Run> {
  const env: NodeJS.ProcessEnv = { ...process.env, FORCE_COLOR: '0', NO_COLOR: '1' };
  for (const name of ['NODE_OPTIONS', 'JEST_WORKER_ID', 'NODE_ENV']) delete env[name];
  const child = spawn(command, args, { cwd: join(recipes, recipe), env });
  let output = '';
  child.stdout.on('data', (chunk: Buffer) => (output += chunk.toString()));
  child.stderr.on('data', (chunk: Buffer) => (output += chunk.toString()));
  return new Promise((done) => child.once('close', (code) => done({ code, output })));
}

describe('the testing recipes of docs/testing.md', () => {
  beforeAll(() => {
    execFileSync('npm', ['run', 'build', '--silent'], { cwd: root, stdio: 'pipe' });
    mkdirSync(linkDir, { recursive: true });
    if (!existsSync(join(linkDir, 'nestjs-socketapi'))) symlinkSync(root, join(linkDir, 'nestjs-socketapi'), 'dir');
  }, 120_000);
  afterAll(() => rmSync(linkDir, { recursive: true, force: true }));

  it('run the same example test', () => {
    const test = (recipe: string) => readFileSync(join(recipes, recipe, 'test', 'app.e2e-spec.ts'), 'utf8');
    expect(test('jest-cjs')).toBe(test('vitest-esm'));
  });

  it('an ES module app (nest new) passes it with Vitest: npm run test:e2e', async () => {
    const { code, output } = await run('vitest-esm', 'npm', ['run', 'test:e2e']);
    expect({ code, tests: /Tests\s+(\d+ passed[^\n]*)/.exec(output)?.[1] }).toEqual({ code: 0, tests: '3 passed (3)' });
  }, 60_000);

  it('the same app passes it with Vitest compiling through SWC (unplugin-swc): npm run test:e2e:swc', async () => {
    const { code, output } = await run('vitest-esm', 'npm', ['run', 'test:e2e:swc']);
    expect({ code, tests: /Tests\s+(\d+ passed[^\n]*)/.exec(output)?.[1] }).toEqual({ code: 0, tests: '3 passed (3)' });
  }, 60_000);

  it('a CommonJS app passes it with Jest: npm run test:e2e', async () => {
    const { code, output } = await run('jest-cjs', 'npm', ['run', 'test:e2e']);
    expect({ code, tests: /Tests:\s+([^\n]*)/.exec(output)?.[1] }).toEqual({ code: 0, tests: '3 passed, 3 total' });
  }, 60_000);

  it.each(['vitest-esm', 'jest-cjs'])('the %s app compiles with its own tsconfig.json', async (recipe) => {
    const { code, output } = await run(recipe, process.execPath, [join(root, 'node_modules/typescript/bin/tsc'), '--noEmit']);
    expect({ code, output }).toEqual({ code: 0, output: '' });
  }, 60_000);
});
