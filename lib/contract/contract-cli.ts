#!/usr/bin/env node
/**
 * `nestjs-socketapi-contract`: writes the typed-client contract of a built app. Loads the user's
 * compiled module file, creates the app (no listen), writes `createSocketApiContract(app)`, closes:
 *
 *   nestjs-socketapi-contract --module dist/app.module.js --export AppModule --out src/api-contract.ts
 *
 * `--check` writes nothing and exits with 1 when the file is not the app's contract (for CI).
 */
import 'reflect-metadata';
import { existsSync } from 'node:fs';
import { readFile, writeFile } from 'node:fs/promises';
import { resolve } from 'node:path';
import { pathToFileURL } from 'node:url';
import { parseArgs } from 'node:util';
import type { INestApplication, Type } from '@nestjs/common';
import { NestFactory } from '@nestjs/core';
import { AsyncApiDocumentFactory } from '../docs/asyncapi-document.factory.js';
import { ContractMessage } from '../protocol/docs.messages.js';
import { createSocketApiContract } from './create-socket-api-contract.js';

/** The command's messages go to stderr: stdout stays free for a pipe. */
function say(message: string): void {
  process.stderr.write(`${message}\n`);
}

/** An error as one line of a message: the user's module threw it, a stack of Nest's internals would not help. */
function describe(error: unknown): string {
  return error instanceof Error ? error.message : String(error);
}

/** Exit code 2: the command was not used as documented. */
function usageError(message: string): never {
  say(message);
  process.exit(2);
}

let parsed;
try {
  parsed = parseArgs({
    options: {
      module: { type: 'string' },
      export: { type: 'string', default: 'AppModule' },
      out: { type: 'string', default: 'api-contract.ts' },
      'type-name': { type: 'string' },
      check: { type: 'boolean', default: false },
      help: { type: 'boolean', default: false },
    },
  });
} catch (error) {
  usageError(`${describe(error)}\n${ContractMessage.usage}`);
}
const { values } = parsed;

if (values.help || values.module === undefined) {
  say(ContractMessage.usage);
  process.exit(values.help ? 0 : 2);
}

const moduleFile = resolve(values.module);
if (!existsSync(moduleFile)) usageError(ContractMessage.noModuleFile(moduleFile));
const exports = (await import(pathToFileURL(moduleFile).href)) as Record<string, unknown>;
const appModule = exports[values.export];
if (typeof appModule !== 'function') usageError(ContractMessage.noExport(values.export, moduleFile));

let app: INestApplication | undefined;
try {
  // `abortOnError: false`: by default Nest ends the process (exit 1) on an error in the app, after
  // logging it with the logger this command turns off: the user would see nothing at all.
  app = await NestFactory.create(appModule as Type, { logger: false, abortOnError: false });
  await app.init();
  if (!hasSocketApi(app)) throw new Error(ContractMessage.noSocketApiModule(values.export));
  const source = createSocketApiContract(app, values['type-name'] ? { typeName: values['type-name'] } : {});
  if (values.check) {
    const current = await readFile(values.out, 'utf8').catch(() => undefined);
    say(current === source ? ContractMessage.upToDate(values.out) : ContractMessage.stale(values.out));
    process.exitCode = current === source ? 0 : 1;
  } else {
    await writeFile(values.out, source);
    say(ContractMessage.written(values.out));
  }
} catch (error) {
  say(ContractMessage.failed(moduleFile, describe(error)));
  process.exitCode = 1;
} finally {
  await app?.close().catch((error: unknown) => say(ContractMessage.closeFailed(describe(error))));
}
// The contract is written: whatever the app left running (a timer its providers never clear, a
// connection), the command is done.
process.exit();

function hasSocketApi(nestApp: INestApplication): boolean {
  try {
    nestApp.get(AsyncApiDocumentFactory, { strict: false });
    return true;
  } catch {
    return false;
  }
}
