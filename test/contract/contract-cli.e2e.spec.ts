import { spawn } from 'node:child_process';
import { mkdir, mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { join, resolve } from 'node:path';
import { build, type Plugin } from 'esbuild';
import ts from 'typescript';

/**
 * The command `nestjs-socketapi-contract` run as users run it, in its own process, on apps that go
 * wrong. It is built from lib/ here (esbuild, each file transpiled by TypeScript for its decorator
 * metadata, which Nest's injection needs) into a folder under node_modules/.cache, so that it and
 * the test's modules share the project's @nestjs packages; lib/index.js is a shared chunk, so a
 * module that imports it gets the command's own copy of the library.
 */
const TRANSPILED: Plugin = {
  name: 'typescript-decorator-metadata',
  setup(builder) {
    builder.onLoad({ filter: /\.ts$/ }, async ({ path }) => ({
      contents: ts.transpileModule(await readFile(path, 'utf8'), {
        compilerOptions: {
          module: ts.ModuleKind.ESNext,
          target: ts.ScriptTarget.ES2022,
          experimentalDecorators: true,
          emitDecoratorMetadata: true,
          useDefineForClassFields: false,
        },
      }).outputText,
      loader: 'js',
    }));
  },
};

/** A module file of a user's app, as `nest build` writes it (plain JS, decorators applied by hand). */
const MODULE_PRELUDE = `
  import 'reflect-metadata';
  import { Injectable, Module } from '@nestjs/common';
  import { SocketAction, SocketApiModule } from './lib/index.js';
  class Greeter { hello() { return 'hi'; } }
  Injectable()(Greeter);
  SocketAction('hello')(Greeter.prototype, 'hello', Object.getOwnPropertyDescriptor(Greeter.prototype, 'hello'));
`;

function appModule(providers: string, extra = ''): string {
  return `${MODULE_PRELUDE}
    ${extra}
    export class AppModule {}
    Module({ imports: [SocketApiModule.forRoot({})], providers: [${providers}] })(AppModule);
  `;
}

interface Run {
  code: number | null;
  stderr: string;
  /** Killed: the command did not end by itself. */
  hung: boolean;
}

describe('the nestjs-socketapi-contract command on apps that go wrong', () => {
  let dir: string;

  beforeAll(async () => {
    const cache = resolve('node_modules/.cache');
    await mkdir(cache, { recursive: true });
    dir = await mkdtemp(join(cache, 'contract-cli-'));
    await build({
      entryPoints: { cli: 'lib/contract/contract-cli.ts', 'lib/index': 'lib/index.ts' },
      outdir: dir,
      bundle: true,
      splitting: true,
      format: 'esm',
      platform: 'node',
      target: 'node20',
      packages: 'external',
      plugins: [TRANSPILED],
      logLevel: 'silent',
    });
  }, 60_000);

  afterAll(() => rm(dir, { recursive: true, force: true }));

  async function run(args: string[], module?: { file: string; source: string }): Promise<Run> {
    if (module) await writeFile(join(dir, module.file), module.source);
    const child = spawn(process.execPath, [join(dir, 'cli.js'), ...args], {
      cwd: dir,
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    let stderr = '';
    child.stderr.on('data', (chunk: Buffer) => (stderr += chunk.toString()));
    let hung = false;
    const killer = setTimeout(() => {
      hung = true;
      child.kill('SIGKILL');
    }, 10_000);
    const code = await new Promise<number | null>((done) => child.on('exit', (exitCode) => done(exitCode)));
    clearTimeout(killer);
    return { code, stderr, hung };
  }

  it('writes the contract of a working app (the command built here works)', async () => {
    const result = await run(['--module', 'ok.mjs', '--out', 'ok.ts'], {
      file: 'ok.mjs',
      source: appModule('Greeter'),
    });
    expect(result).toMatchObject({ code: 0, hung: false });
    expect(await readFile(join(dir, 'ok.ts'), 'utf8')).toContain('hello: {');
  }, 20_000);

  it('a provider that throws while the app is created: exit 1 with its message', async () => {
    const source = appModule(
      'Greeter, Broken',
      "class Broken { constructor() { throw new Error('database unreachable'); } }\nInjectable()(Broken);",
    );
    const result = await run(['--module', 'broken.mjs', '--out', 'broken.ts'], { file: 'broken.mjs', source });
    expect(result).toMatchObject({ code: 1, hung: false });
    expect(result.stderr).toContain('database unreachable');
  }, 20_000);

  it('a module without SocketApiModule: exit 1 with a message that says so', async () => {
    const source = `${MODULE_PRELUDE}\nexport class AppModule {}\nModule({ providers: [Greeter] })(AppModule);`;
    const result = await run(['--module', 'plain.mjs', '--out', 'plain.ts'], { file: 'plain.mjs', source });
    expect(result).toMatchObject({ code: 1, hung: false });
    expect(result.stderr).toContain('SocketApiModule');
  }, 20_000);

  it('a provider that throws at onModuleInit: exit 1 with its message', async () => {
    const source = appModule(
      'Greeter, Migrations',
      "class Migrations { onModuleInit() { throw new Error('migrations failed'); } }\nInjectable()(Migrations);",
    );
    const result = await run(['--module', 'init.mjs', '--out', 'init.ts'], { file: 'init.mjs', source });
    expect(result).toMatchObject({ code: 1, hung: false });
    expect(result.stderr).toContain('migrations failed');
  }, 20_000);

  it('an app that leaves a timer running after close: the contract is written and the command ends', async () => {
    const source = appModule(
      'Greeter, Poller',
      'class Poller { onModuleInit() { setInterval(() => undefined, 1000); } }\nInjectable()(Poller);',
    );
    const result = await run(['--module', 'poller.mjs', '--out', 'poller.ts'], { file: 'poller.mjs', source });
    expect(result).toMatchObject({ code: 0, hung: false });
    expect(await readFile(join(dir, 'poller.ts'), 'utf8')).toContain('hello: {');
  }, 20_000);

  it('a --type-name TypeScript cannot take (not an identifier, a reserved word): exit 1 with a message, no file', async () => {
    for (const typeName of ['my-contract', 'class', 'string']) {
      const out = `named-${typeName}.ts`;
      const result = await run(['--module', 'named.mjs', '--out', out, '--type-name', typeName], {
        file: 'named.mjs',
        source: appModule('Greeter'),
      });
      expect(result).toMatchObject({ code: 1, hung: false });
      expect(result.stderr).toContain(`'${typeName}'`);
      await expect(readFile(join(dir, out), 'utf8')).rejects.toThrow('ENOENT');
    }
  }, 30_000);

  it('usage errors (an unknown option, a module file that does not exist) exit 2 with a message, not a stack', async () => {
    const unknown = await run(['--modul', 'ok.mjs']);
    expect(unknown).toMatchObject({ code: 2, hung: false });
    expect(unknown.stderr).toContain('--modul');
    expect(unknown.stderr).toContain('Usage:');
    expect(unknown.stderr).not.toContain('    at ');

    const missing = await run(['--module', 'nope.mjs']);
    expect(missing).toMatchObject({ code: 2, hung: false });
    expect(missing.stderr).toContain(join(dir, 'nope.mjs'));
    expect(missing.stderr).not.toContain('    at ');
  }, 20_000);
});
