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
import { readFile, writeFile } from 'node:fs/promises';
import { resolve } from 'node:path';
import { pathToFileURL } from 'node:url';
import { parseArgs } from 'node:util';
import type { Type } from '@nestjs/common';
import { NestFactory } from '@nestjs/core';
import { ContractMessage } from '../protocol/docs.messages.js';
import { createSocketApiContract } from './create-socket-api-contract.js';

/** The command's messages go to stderr: stdout stays free for a pipe. */
function say(message: string): void {
  process.stderr.write(`${message}\n`);
}

const { values } = parseArgs({
  options: {
    module: { type: 'string' },
    export: { type: 'string', default: 'AppModule' },
    out: { type: 'string', default: 'api-contract.ts' },
    'type-name': { type: 'string' },
    check: { type: 'boolean', default: false },
    help: { type: 'boolean', default: false },
  },
});

if (values.help || values.module === undefined) {
  say(ContractMessage.usage);
  process.exit(values.help ? 0 : 2);
}

const moduleFile = resolve(values.module);
const exports = (await import(pathToFileURL(moduleFile).href)) as Record<string, unknown>;
const appModule = exports[values.export];
if (typeof appModule !== 'function') {
  say(ContractMessage.noExport(values.export, moduleFile));
  process.exit(2);
}

const app = await NestFactory.create(appModule as Type, { logger: false });
try {
  await app.init();
  const source = createSocketApiContract(app, values['type-name'] ? { typeName: values['type-name'] } : {});
  if (values.check) {
    const current = await readFile(values.out, 'utf8').catch(() => undefined);
    say(current === source ? ContractMessage.upToDate(values.out) : ContractMessage.stale(values.out));
    process.exitCode = current === source ? 0 : 1;
  } else {
    await writeFile(values.out, source);
    say(ContractMessage.written(values.out));
  }
} finally {
  await app.close();
}
