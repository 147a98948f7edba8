import { execFileSync, spawn, type ChildProcess } from 'node:child_process';
import { existsSync, mkdirSync, readFileSync, rmSync, symlinkSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { freePort } from './support/redis-server.js';
import { TestClient } from './support/ws-client.js';

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

// Nest logs "successfully started" before the server is bound: the app's own main.ts says nothing
// when it listens, so a preload prints LISTENING on the HTTP server's 'listening' event.
const REPORT_LISTENING = `data:text/javascript,${encodeURIComponent(`
  import http from 'node:http';
  const listen = http.Server.prototype.listen;
  http.Server.prototype.listen = function (...args) {
    this.once('listening', () => console.log('LISTENING'));
    return listen.apply(this, args);
  };
`)}`;

/** What Vitest prints when something keeps the process alive after the tests (a socket, a timer). */
const HANGING_VITEST = /close timed out|something prevents|hanging/i;

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
  afterAll(() => {
    // The symlink, and the results cache Vitest keeps in the app's node_modules/.vite.
    for (const dir of [linkDir, join(recipes, 'vitest-esm', 'node_modules')])
      rmSync(dir, { recursive: true, force: true });
  });

  it.each(['app.e2e-spec.ts', 'kit.e2e-spec.ts'])('run the same example test (%s)', (file) => {
    const test = (recipe: string) => readFileSync(join(recipes, recipe, 'test', file), 'utf8');
    expect(test('jest-cjs')).toBe(test('vitest-esm'));
  });

  it('an ES module app (nest new) passes it with Vitest: npm run test:e2e', async () => {
    const { code, output } = await run('vitest-esm', 'npm', ['run', 'test:e2e']);
    expect({ code, tests: /Tests\s+(\d+ passed[^\n]*)/.exec(output)?.[1] }).toEqual({ code: 0, tests: '6 passed (6)' });
    expect(output).not.toMatch(HANGING_VITEST);
  }, 60_000);

  it('the same app passes it with Vitest compiling through SWC (unplugin-swc): npm run test:e2e:swc', async () => {
    const { code, output } = await run('vitest-esm', 'npm', ['run', 'test:e2e:swc']);
    expect({ code, tests: /Tests\s+(\d+ passed[^\n]*)/.exec(output)?.[1] }).toEqual({ code: 0, tests: '6 passed (6)' });
    expect(output).not.toMatch(HANGING_VITEST);
  }, 60_000);

  it('a CommonJS app passes it with Jest: npm run test:e2e', async () => {
    const { code, output } = await run('jest-cjs', 'npm', ['run', 'test:e2e']);
    expect({ code, tests: /Tests:\s+([^\n]*)/.exec(output)?.[1] }).toEqual({ code: 0, tests: '6 passed, 6 total' });
    // Run with --detectOpenHandles: a socket or timer the testing kit left open would be listed.
    expect(output).not.toMatch(/open handle|did not exit/i);
  }, 60_000);

  describe.each(['vitest-esm', 'jest-cjs'])('the %s app, built with its own tsconfig.json', (recipe) => {
    let started: ChildProcess | undefined;
    afterEach(() => started?.kill());
    afterAll(() => rmSync(join(recipes, recipe, 'dist'), { recursive: true, force: true }));

    it('compiles, starts with its main.ts on PORT and serves its controller and the socket', async () => {
      expect(await run(recipe, process.execPath, [join(root, 'node_modules/typescript/bin/tsc')])).toEqual({
        code: 0,
        output: '',
      });
      const port = await freePort();
      const env = { ...process.env, NODE_OPTIONS: '', PORT: String(port) };
      const app = spawn(process.execPath, ['--import', REPORT_LISTENING, 'dist/src/main.js'], {
        cwd: join(recipes, recipe),
        env,
      });
      started = app;
      await new Promise<void>((listening, failed) => {
        let output = '';
        app.stdout.on('data', (chunk: Buffer) => {
          output += chunk.toString();
          if (output.includes('LISTENING')) listening();
        });
        app.stderr.on('data', (chunk: Buffer) => (output += chunk.toString()));
        app.once('exit', (code) => failed(new Error(`exit ${code}: ${output}`)));
      });
      const page = await fetch(`http://127.0.0.1:${port}/`);
      expect(await page.text()).toBe('Hello World!');
      const client = await TestClient.open(`ws://127.0.0.1:${port}/`);
      client.send({ type: 'action', channel: 'add_numbers', data: { a: 5, b: 3 }, id: 1 });
      expect(await client.next()).toEqual([
        { type: 'action', channel: 'add_numbers', status: 'completed', data: 8, id: 1 },
      ]);
      await client.close();
    }, 60_000);
  });
});
