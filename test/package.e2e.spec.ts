import { execFileSync, spawn } from 'node:child_process';
import { mkdtempSync, mkdirSync, rmSync, symlinkSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { TestClient } from './support/ws-client.js';

const root = resolve('.');

/** A user's app, outside this repo, that has the built package installed under its name. */
function makeUserApp(): string {
  const dir = mkdtempSync(join(tmpdir(), 'socketapi-user-'));
  mkdirSync(join(dir, 'node_modules'));
  symlinkSync(root, join(dir, 'node_modules', 'nestjs-socketapi'), 'dir');
  // The app's own dependencies, the same copies the package's peers resolve to.
  for (const dependency of ['@nestjs', 'reflect-metadata']) {
    symlinkSync(join(root, 'node_modules', dependency), join(dir, 'node_modules', dependency), 'dir');
  }
  return dir;
}

// Plain JavaScript, so the app needs no compiler: decorators applied by hand.
const app = (load: string) => `${load}
const { Injectable, Module } = common;
const { NestFactory } = core;
const { SocketAction, SocketApiModule } = lib;
class Greeter { hello() { return 'hi from ' + process.argv[2]; } }
Reflect.decorate([SocketAction('hello')], Greeter.prototype, 'hello', Object.getOwnPropertyDescriptor(Greeter.prototype, 'hello'));
Reflect.defineMetadata('design:paramtypes', [], Greeter.prototype, 'hello');
Reflect.decorate([Injectable()], Greeter);
class AppModule {}
Reflect.decorate([Module({ imports: [SocketApiModule.forRoot()], providers: [Greeter] })], AppModule);
NestFactory.create(AppModule, { logger: false }).then(async (app) => {
  await app.listen(0, '127.0.0.1');
  console.log('PORT=' + app.getHttpServer().address().port);
});
`;

const CJS = app(`require('reflect-metadata');
const lib = require('nestjs-socketapi');
const common = require('@nestjs/common');
const core = require('@nestjs/core');`);

const ESM = app(`import 'reflect-metadata';
import * as lib from 'nestjs-socketapi';
import * as common from '@nestjs/common';
import * as core from '@nestjs/core';`);

async function runAndCall(dir: string, file: string, kind: string): Promise<unknown[]> {
  const child = spawn(process.execPath, [join(dir, file), kind], { cwd: dir, env: { ...process.env, NODE_OPTIONS: '' } });
  try {
    const port = await new Promise<string>((resolvePort, reject) => {
      let output = '';
      child.stdout.on('data', (chunk: Buffer) => {
        output += chunk.toString();
        const match = /PORT=(\d+)/.exec(output);
        if (match) resolvePort(match[1]);
      });
      child.stderr.on('data', (chunk: Buffer) => (output += chunk.toString()));
      child.once('exit', (code) => reject(new Error(`app exited with ${code}: ${output}`)));
    });
    const client = await TestClient.open(`ws://127.0.0.1:${port}/`);
    client.send({ type: 'action', channel: 'hello', id: 1 });
    const frames = await client.next();
    await client.close();
    return frames;
  } finally {
    child.kill();
  }
}

describe('the built package', () => {
  let dir: string;
  beforeAll(() => {
    execFileSync('npm', ['run', 'build', '--silent'], { cwd: root, stdio: 'pipe' });
    dir = makeUserApp();
    writeFileSync(join(dir, 'app.cjs'), CJS);
    writeFileSync(join(dir, 'app.mjs'), ESM);
  }, 120_000);
  afterAll(() => rmSync(dir, { recursive: true, force: true }));

  it('serves from a CommonJS app (require)', async () => {
    expect(await runAndCall(dir, 'app.cjs', 'cjs')).toEqual([
      { type: 'action', channel: 'hello', status: 'completed', data: 'hi from cjs', id: 1 },
    ]);
  });

  it('serves from an ES module app (import)', async () => {
    expect(await runAndCall(dir, 'app.mjs', 'esm')).toEqual([
      { type: 'action', channel: 'hello', status: 'completed', data: 'hi from esm', id: 1 },
    ]);
  });
});
