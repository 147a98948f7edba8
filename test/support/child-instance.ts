import { spawn, spawnSync, type ChildProcess } from 'node:child_process';
import { mkdtempSync, rmSync, symlinkSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';

const ROOT = fileURLToPath(new URL('../..', import.meta.url));

/** An app compiled to run as a plain `node` process, which a test can SIGKILL. */
export interface CompiledChild {
  /** The temp directory holding the build (`remove()` deletes it). */
  dir: string;
  /** The compiled entry. */
  entry: string;
  remove(): void;
}

/**
 * Compiles `source` (a path from the repository root, e.g. `test/presence/presence-child.ts`) and what it
 * imports into a temp directory, types not checked (`tsc --noCheck`: the suites' own tsc run checks them).
 * The entry prints `PORT <port>` once it listens (see `startChild`).
 */
export function compileChild(source: string): CompiledChild {
  const dir = mkdtempSync(join(tmpdir(), 'socketapi-child-'));
  writeFileSync(
    join(dir, 'tsconfig.json'),
    JSON.stringify({
      extends: join(ROOT, 'tsconfig.json'),
      compilerOptions: { outDir: join(dir, 'out'), rootDir: ROOT, sourceMap: false, noEmit: false, types: ['node'] },
      include: [],
      files: [join(ROOT, source)],
    }),
  );
  writeFileSync(join(dir, 'package.json'), '{"type":"module"}');
  symlinkSync(join(ROOT, 'node_modules'), join(dir, 'node_modules'));
  const tsc = spawnSync(
    process.execPath,
    [join(ROOT, 'node_modules/typescript/bin/tsc'), '-p', join(dir, 'tsconfig.json'), '--noCheck'],
    { encoding: 'utf8' },
  );
  if (tsc.status !== 0) throw new Error(`tsc failed:\n${tsc.stdout}${tsc.stderr}`);
  return {
    dir,
    entry: join(dir, 'out', source.replace(/\.ts$/, '.js')),
    remove: () => rmSync(dir, { recursive: true, force: true }),
  };
}

/** Starts a compiled child with `env` added to this process's; resolves with its port once it listens. */
export function startChild(entry: string, env: Record<string, string>): Promise<{ child: ChildProcess; port: number }> {
  return new Promise((resolvePort, reject) => {
    const child = spawn(process.execPath, [entry], {
      env: { ...process.env, ...env },
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    let output = '';
    const timer = setTimeout(() => reject(new Error(`the child did not start:\n${output}`)), 30_000);
    child.stdout.on('data', (chunk: Buffer) => {
      output += chunk.toString();
      const port = /PORT (\d+)/.exec(output)?.[1];
      if (port) {
        clearTimeout(timer);
        resolvePort({ child, port: Number(port) });
      }
    });
    child.stderr.on('data', (chunk: Buffer) => (output += chunk.toString()));
    child.once('exit', (code) => {
      clearTimeout(timer);
      reject(new Error(`the child exited (${code}):\n${output}`));
    });
  });
}
