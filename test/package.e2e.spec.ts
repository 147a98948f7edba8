import { execFileSync, spawn, type ChildProcess } from 'node:child_process';
import {
  mkdirSync,
  mkdtempSync,
  readdirSync,
  readFileSync,
  rmSync,
  statSync,
  symlinkSync,
  writeFileSync,
} from 'node:fs';
import { createRequire } from 'node:module';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { SignJWT } from 'jose';
import { describeWithRedis, RedisServer } from './support/redis-server.js';
import { itOnceForAllNodes } from './support/node-subset.js';
import { refusedUpgrade, TestClient } from './support/ws-client.js';

/**
 * The package as users get it: `npm pack`'s tarball (built by `prepack`), unpacked into the
 * node_modules of apps outside this repository, as `npm install <tarball>` does. The apps' other
 * dependencies are links to this repository's copies (no registry, no network); the package itself
 * is a real copy, so that what it imports resolves from the app, as it will for users: an app
 * without ioredis and jose has neither, whatever this repository has.
 */
const root = resolve('.');
const tsc = createRequire(import.meta.url).resolve('typescript/bin/tsc');
/** What every app has: the package's dependency, its required peers, Nest's platforms, and Node's types. */
const APP_DEPENDENCIES = [
  '@nestjs',
  '@types',
  'class-transformer',
  'class-validator',
  'reflect-metadata',
  'rxjs',
  'ws',
];
const SECRET = 'a-secret-of-at-least-thirty-two-bytes';

let work: string;
let tarball: string;

function installApp(name: string, optionalPeers: string[]): string {
  const dir = join(work, name);
  const installed = join(dir, 'node_modules', 'nestjs-socketapi');
  mkdirSync(installed, { recursive: true });
  execFileSync('tar', ['-xzf', tarball, '-C', installed, '--strip-components=1']);
  for (const dependency of [...APP_DEPENDENCIES, ...optionalPeers]) {
    symlinkSync(join(root, 'node_modules', dependency), join(dir, 'node_modules', dependency), 'dir');
  }
  // An ES module app, as `nest new` makes with Nest 12; `.cjs` files stay CommonJS.
  writeFileSync(join(dir, 'package.json'), JSON.stringify({ name, private: true, type: 'module' }));
  for (const [file, source] of Object.entries(APP_FILES)) writeFileSync(join(dir, file), source);
  return dir;
}

// Plain JavaScript, so that the apps run without a compiler: decorators applied by hand.
// `node app.js <kind> [redis URL]`: `redis` and `jwt` in <kind> turn those features on.
const APP_BODY = `
const { Injectable, Module } = common;
const { NestFactory } = core;
const { Connection, SocketAction, SocketChannel, SocketApiModule, jwtAuthenticator } = lib;
const [kind, redisUrl] = process.argv.slice(2);
class Greeter {
  hello(connection) { return 'hi ' + (connection.subject ?? 'anonymous') + ' from ' + kind; }
  news() { return 'no news'; }
}
Reflect.decorate([SocketAction('hello')], Greeter.prototype, 'hello', Object.getOwnPropertyDescriptor(Greeter.prototype, 'hello'));
Connection()(Greeter.prototype, 'hello', 0);
Reflect.defineMetadata('design:paramtypes', [Object], Greeter.prototype, 'hello');
Reflect.decorate([SocketChannel('news')], Greeter.prototype, 'news', Object.getOwnPropertyDescriptor(Greeter.prototype, 'news'));
Reflect.defineMetadata('design:paramtypes', [], Greeter.prototype, 'news');
Reflect.decorate([Injectable()], Greeter);
const options = {};
if (kind.includes('redis')) options.redis = redisUrl;
if (kind.includes('jwt')) options.auth = jwtAuthenticator({ secret: '${SECRET}' });
if (kind.includes('docs')) options.docs = true;
if (kind.includes('health')) options.health = true;
if (kind.includes('tracing')) options.tracing = true;
if (kind.includes('metrics')) options.metrics = true;
class AppModule {}
Reflect.decorate([Module({ imports: [SocketApiModule.forRoot(options)], providers: [Greeter] })], AppModule);
// An app that fails while Nest builds it is told through Nest's log (then Nest aborts): those log errors.
NestFactory.create(AppModule, { logger: /tracing|metrics/.test(kind) ? ['error'] : false }).then(async (app) => {
  await app.listen(0, '127.0.0.1');
  console.log('PORT=' + app.getHttpServer().address().port);
});
`;

const APP_FILES: Record<string, string> = {
  'app.cjs': `require('reflect-metadata');
const lib = require('nestjs-socketapi');
const common = require('@nestjs/common');
const core = require('@nestjs/core');
${APP_BODY}`,
  'app.js': `import 'reflect-metadata';
import * as lib from 'nestjs-socketapi';
import * as common from '@nestjs/common';
import * as core from '@nestjs/core';
${APP_BODY}`,
  // A module for the contract command, as `nest build` leaves one: exported, not started.
  'contract-module.js': `import 'reflect-metadata';
import { Injectable, Module } from '@nestjs/common';
import { SocketAction, SocketApiModule } from 'nestjs-socketapi';
class Greeter {
  hello() { return 'hi'; }
}
Reflect.decorate([SocketAction('hello', { reply: String })], Greeter.prototype, 'hello', Object.getOwnPropertyDescriptor(Greeter.prototype, 'hello'));
Reflect.defineMetadata('design:paramtypes', [], Greeter.prototype, 'hello');
Reflect.decorate([Injectable()], Greeter);
export class AppModule {}
Reflect.decorate([Module({ imports: [SocketApiModule.forRoot({})], providers: [Greeter] })], AppModule);
`,
  // A worker publishing to the app's channel: `node emit.js <redis URL> <payload>`.
  'emit.js': `import { SocketApiEmitter } from 'nestjs-socketapi';
const emitter = new SocketApiEmitter({ connection: process.argv[2] });
await emitter.publish('news', process.argv[3]);
await emitter.close();
`,
  // A test of the app with nestjs-socketapi/testing, to its end: the process must exit by itself
  // once the app is closed (no socket or timer of the kit left behind).
  'kit.js': `import 'reflect-metadata';
import { Injectable, Module } from '@nestjs/common';
import { NestFactory } from '@nestjs/core';
import { SocketAction, SocketApiModule, SocketChannel } from 'nestjs-socketapi';
import { createTestClient } from 'nestjs-socketapi/testing';
class Greeter {
  hello() { return 'hi'; }
  news() { return 'no news'; }
}
Reflect.decorate([SocketAction('hello')], Greeter.prototype, 'hello', Object.getOwnPropertyDescriptor(Greeter.prototype, 'hello'));
Reflect.defineMetadata('design:paramtypes', [], Greeter.prototype, 'hello');
Reflect.decorate([SocketChannel('news', { initialData: true })], Greeter.prototype, 'news', Object.getOwnPropertyDescriptor(Greeter.prototype, 'news'));
Reflect.defineMetadata('design:paramtypes', [], Greeter.prototype, 'news');
Reflect.decorate([Injectable()], Greeter);
class AppModule {}
Reflect.decorate([Module({ imports: [SocketApiModule.forRoot()], providers: [Greeter] })], AppModule);
const app = await NestFactory.create(AppModule, { logger: false });
// Reconnecting: were it not closed by app.close(), it would retry (and the process live) forever.
const client = await createTestClient(app, { reconnect: {} });
console.log('REPLY=' + (await client.action('hello')));
console.log('NEWS=' + (await client.nextData('news')));
console.log('ERROR=' + (await client.expectError('ACTION_NOT_FOUND', 'nope')).code);
await app.close();
console.log('STATE=' + client.state.status);
`,
  // The package's public API, type-checked as a strict app with skipLibCheck false would.
  'types.ts': `import 'reflect-metadata';
import { Injectable, Module, type INestApplication } from '@nestjs/common';
import {
  Connection,
  Data,
  RedisBroker,
  SocketAction,
  SocketApiEmitter,
  SocketApiModule,
  SocketConnection,
  jwtAuthenticator,
  type JwtPayload,
  type SocketApiModuleOptions,
} from 'nestjs-socketapi';
import { createTestClient, type SocketApiError, type TestClient } from 'nestjs-socketapi/testing';

interface Claims extends JwtPayload {
  role: 'admin' | 'user';
}

@Injectable()
export class Greeter {
  @SocketAction('hello')
  hello(@Data('name') name: string, @Connection() connection: SocketConnection<Claims>): string {
    return name + (connection.user?.role ?? '');
  }
}

export const options: SocketApiModuleOptions = {
  auth: jwtAuthenticator<Claims>({ secret: process.env.JWT_SECRET }),
  redis: 'redis://127.0.0.1:6379',
};
export const broker = new RedisBroker({ connection: { host: '127.0.0.1', port: 6379 } });
export const emitter = new SocketApiEmitter({ connection: 'redis://127.0.0.1:6379' });

@Module({ imports: [SocketApiModule.forRoot(options)], providers: [Greeter] })
export class AppModule {}

interface Contract {
  actions: { hello: { data: { name: string }; reply: string } };
  channels: { news: { data: undefined; payload: string } };
}
export async function greet(app: INestApplication): Promise<string> {
  const client: TestClient<Contract> = await createTestClient<Contract>(app, { timeoutMs: 1000 });
  const error: SocketApiError = await client.expectError('VALIDATION_ERROR', 'hello', { name: '' });
  return (await client.action('hello', { name: 'x' })) + (await client.nextData('news')) + error.code;
}
`,
  'tsconfig.json': JSON.stringify({
    compilerOptions: {
      target: 'ES2022',
      module: 'nodenext',
      moduleResolution: 'nodenext',
      strict: true,
      skipLibCheck: false,
      experimentalDecorators: true,
      emitDecoratorMetadata: true,
      types: ['node'],
      noEmit: true,
    },
    files: ['types.ts'],
  }),
};

/** Runs `node <file> <args>` in the app; resolves with its port once it listens, or rejects with its output. */
function startApp(dir: string, file: string, args: string[], running: ChildProcess[]): Promise<number> {
  const child = spawn(process.execPath, [join(dir, file), ...args], {
    cwd: dir,
    env: { ...process.env, NODE_OPTIONS: '' },
  });
  running.push(child);
  return new Promise<number>((resolvePort, reject) => {
    let output = '';
    child.stdout.on('data', (chunk: Buffer) => {
      output += chunk.toString();
      const match = /PORT=(\d+)/.exec(output);
      if (match) resolvePort(Number(match[1]));
    });
    child.stderr.on('data', (chunk: Buffer) => (output += chunk.toString()));
    child.once('exit', (code) => reject(new Error(`app exited with ${code}: ${output}`)));
  });
}

/** Runs `node <file> <args>` in the app to its end: its exit code and what it printed. */
function run(dir: string, file: string, args: string[]): Promise<{ code: number | null; output: string }> {
  const child = spawn(process.execPath, [join(dir, file), ...args], {
    cwd: dir,
    env: { ...process.env, NODE_OPTIONS: '' },
  });
  let output = '';
  child.stdout.on('data', (chunk: Buffer) => (output += chunk.toString()));
  child.stderr.on('data', (chunk: Buffer) => (output += chunk.toString()));
  return new Promise((resolveRun) => child.once('exit', (code) => resolveRun({ code, output })));
}

/** Type-checks the app's `types.ts` (strict, skipLibCheck false); resolves with tsc's report, '' when clean. */
function typeCheck(dir: string): string {
  try {
    execFileSync(process.execPath, [tsc, '-p', join(dir, 'tsconfig.json')], {
      cwd: dir,
      encoding: 'utf8',
      stdio: 'pipe',
    });
    return '';
  } catch (error) {
    return String((error as { stdout?: string }).stdout ?? error);
  }
}

async function callHello(port: number, headers?: Record<string, string>): Promise<unknown[]> {
  const client = await TestClient.open(`ws://127.0.0.1:${port}/`, { headers });
  try {
    client.send({ type: 'action', channel: 'hello', id: 1 });
    return await client.next();
  } finally {
    await client.close();
  }
}

beforeAll(() => {
  work = mkdtempSync(join(tmpdir(), 'socketapi-package-'));
  // One tarball for every Node version when scripts/test-node-versions.mjs packed it already.
  if (process.env.SOCKETAPI_PACKED_TARBALL) {
    tarball = process.env.SOCKETAPI_PACKED_TARBALL;
    return;
  }
  // `npm pack` runs `prepack`, the clean build; --json names the tarball it wrote.
  const packed = execFileSync('npm', ['pack', '--json', '--pack-destination', work], {
    cwd: root,
    encoding: 'utf8',
    stdio: 'pipe',
  });
  const [{ filename }] = JSON.parse(packed.slice(packed.search(/^\[/m))) as Array<{ filename: string }>;
  tarball = join(work, filename);
}, 180_000);
afterAll(() => rmSync(work, { recursive: true, force: true }));

describe('the tarball', () => {
  it('holds the build, the license and the docs, and no source maps, sources or tests', () => {
    const files = execFileSync('tar', ['-tzf', tarball], { encoding: 'utf8' }).trim().split('\n').sort();
    const docs = readdirSync(join(root, 'docs'), { recursive: true, encoding: 'utf8' })
      .filter((name) => statSync(join(root, 'docs', name)).isFile())
      .map((name) => `package/docs/${name}`);
    expect(files.filter((file) => file.startsWith('package/docs/'))).toEqual(docs.sort());
    const elsewhere = (file: string) => !/^package\/(dist\/lib|docs|dist\/testing\/types)\//.test(file);
    expect(files.filter(elsewhere)).toEqual([
      'package/CHANGELOG.md',
      'package/LICENSE',
      'package/PROTOCOL.md',
      'package/README.md',
      // The docs page's bundle (scripts/build-docs-ui.mjs): one script, one style sheet.
      'package/dist/docs-ui/app.css',
      'package/dist/docs-ui/app.js',
      // nestjs-socketapi/testing: the kit and the client's code, one bundle (scripts/build-testing.mjs).
      'package/dist/testing/index.js',
      'package/package.json',
    ]);
    const kitTypes = files.filter((file) => file.startsWith('package/dist/testing/types/'));
    expect(kitTypes).toContain('package/dist/testing/types/testing/index.d.ts');
    expect(kitTypes.filter((file) => !file.endsWith('.d.ts'))).toEqual([]);
    expect(files.filter((file) => !/\.(js|d\.ts)$/.test(file) && file.startsWith('package/dist/lib/'))).toEqual([]);
    // Every module has its declarations.
    for (const file of files.filter((name) => name.endsWith('.js') && name.startsWith('package/dist/lib/')))
      expect(files).toContain(file.replace(/\.js$/, '.d.ts'));
  });

  it('declares ioredis, jose, prom-client and @opentelemetry/api as optional peers, never as dependencies', () => {
    const manifest = JSON.parse(readFileSync(join(root, 'package.json'), 'utf8')) as Record<
      string,
      Record<string, unknown>
    >;
    for (const peer of ['ioredis', 'jose', 'prom-client', '@opentelemetry/api']) {
      expect(manifest.dependencies).not.toHaveProperty([peer]);
      expect(manifest.peerDependencies).toHaveProperty([peer]);
    }
    expect(manifest.peerDependenciesMeta).toEqual({
      '@opentelemetry/api': { optional: true },
      ioredis: { optional: true },
      jose: { optional: true },
      'prom-client': { optional: true },
    });
  });
});

describe('installed in an app without ioredis and jose', () => {
  let dir: string;
  const running: ChildProcess[] = [];
  beforeAll(() => {
    dir = installApp('lean', []);
  });
  afterEach(() => {
    for (const child of running.splice(0)) child.kill();
  });

  it.each(['app.cjs', 'app.js'])('serves an action from %s', async (file) => {
    const port = await startApp(dir, file, ['lean'], running);
    expect(await callHello(port)).toEqual([
      { type: 'action', channel: 'hello', status: 'completed', data: 'hi anonymous from lean', id: 1 },
    ]);
  });

  it('serves the docs page, its bundle and the document from the package', async () => {
    const port = await startApp(dir, 'app.js', ['docs'], running);
    for (const path of ['/socket-docs', '/socket-docs/app.js', '/socket-docs/app.css', '/socket-docs/asyncapi.json']) {
      const response = await fetch(`http://127.0.0.1:${port}${path}`);
      expect([path, response.status]).toEqual([path, 200]);
    }
  });

  it('runs a test with nestjs-socketapi/testing (the client bundled in), which exits once the app is closed', async () => {
    const { code, output } = await run(dir, 'kit.js', []);
    expect({ code, output }).toEqual({
      code: 0,
      output: 'REPLY=hi\nNEWS=no news\nERROR=ACTION_NOT_FOUND\nSTATE=closed\n',
    });
  }, 30_000);

  it('fails to start with the `redis` option, saying to install ioredis', async () => {
    const { code, output } = await run(dir, 'app.js', ['redis', 'redis://127.0.0.1:9']);
    expect(code).not.toBe(0);
    expect(output).toContain("Redis (the `redis` option, RedisBroker, SocketApiEmitter) needs the package 'ioredis'");
    expect(output).toContain('npm i ioredis');
    expect(output).not.toContain('PORT=');
  });

  it('serves the health probes from the package', async () => {
    const port = await startApp(dir, 'app.js', ['health'], running);
    for (const path of ['/health/live', '/health/ready']) {
      const response = await fetch(`http://127.0.0.1:${port}${path}`);
      expect([path, response.status, await response.text()]).toEqual([path, 200, '{"status":"ok"}']);
    }
  });

  it('fails to start with tracing, saying to install @opentelemetry/api', async () => {
    const { code, output } = await run(dir, 'app.js', ['tracing']);
    expect(code).not.toBe(0);
    expect(output).toContain("Tracing (the `tracing` option) needs the package '@opentelemetry/api'");
    expect(output).toContain('npm i @opentelemetry/api');
    expect(output).not.toContain('PORT=');
  });

  it('fails to start with metrics, saying to install prom-client', async () => {
    const { code, output } = await run(dir, 'app.js', ['metrics']);
    expect(code).not.toBe(0);
    expect(output).toContain("Metrics (the `metrics` option) needs the package 'prom-client'");
    expect(output).toContain('npm i prom-client');
    expect(output).not.toContain('PORT=');
  });

  it('fails to start with jwtAuthenticator, saying to install jose', async () => {
    const { code, output } = await run(dir, 'app.js', ['jwt']);
    expect(code).not.toBe(0);
    expect(output).toContain("jwtAuthenticator needs the package 'jose'");
    expect(output).toContain('npm i jose');
    expect(output).not.toContain('PORT=');
  });

  it('refuses to make a SocketApiEmitter, saying to install ioredis', async () => {
    const { code, output } = await run(dir, 'emit.js', ['redis://127.0.0.1:9', 'x']);
    expect(code).not.toBe(0);
    expect(output).toContain('npm i ioredis');
  });

  itOnceForAllNodes(
    'compiles with strict and skipLibCheck false',
    () => {
      expect(typeCheck(dir)).toBe('');
    },
    60_000,
  );

  it("writes the app's typed-client contract with its `nestjs-socketapi-contract` command, and checks it", async () => {
    const manifest = JSON.parse(readFileSync(join(dir, 'node_modules/nestjs-socketapi/package.json'), 'utf8')) as {
      bin: Record<string, string>;
    };
    const command = join('node_modules/nestjs-socketapi', manifest.bin['nestjs-socketapi-contract']);
    const written = await run(dir, command, ['--module', 'contract-module.js', '--out', 'api-contract.ts']);
    expect(written).toEqual({ code: 0, output: 'Contract written to api-contract.ts.\n' });
    const contract = readFileSync(join(dir, 'api-contract.ts'), 'utf8');
    expect(contract).toMatch(/^export const contractHash = '[0-9a-f]{64}';$/m);
    expect(contract).toContain('    hello: {\n      data: unknown;\n      reply: string;\n    };');
    expect(
      (await run(dir, command, ['--module', 'contract-module.js', '--out', 'api-contract.ts', '--check'])).code,
    ).toBe(0);
    writeFileSync(join(dir, 'api-contract.ts'), contract.replace('reply: string', 'reply: number'));
    expect(
      (await run(dir, command, ['--module', 'contract-module.js', '--out', 'api-contract.ts', '--check'])).code,
    ).toBe(1);
  });
});

describeWithRedis('installed in an app with ioredis and jose', () => {
  let dir: string;
  let redis: RedisServer;
  const running: ChildProcess[] = [];
  const clients: TestClient[] = [];
  beforeAll(async () => {
    dir = installApp('full', ['ioredis', 'jose']);
    redis = await RedisServer.start();
  });
  afterEach(async () => {
    for (const client of clients.splice(0)) await client.close();
    for (const child of running.splice(0)) child.kill();
  });
  afterAll(() => redis?.stop());

  it('authenticates with a JWT and delivers a publication of another process through Redis', async () => {
    const port = await startApp(dir, 'app.js', ['redis+jwt', redis.url], running);
    expect(await refusedUpgrade(`ws://127.0.0.1:${port}/`)).toBe(401);
    const token = await new SignJWT({})
      .setProtectedHeader({ alg: 'HS256' })
      .setSubject('ada')
      .setExpirationTime('5m')
      .sign(new TextEncoder().encode(SECRET));
    const headers = { authorization: `Bearer ${token}` };
    expect(await callHello(port, headers)).toEqual([
      { type: 'action', channel: 'hello', status: 'completed', data: 'hi ada from redis+jwt', id: 1 },
    ]);

    const subscriber = await TestClient.open(`ws://127.0.0.1:${port}/`, { headers });
    clients.push(subscriber);
    subscriber.send({ type: 'subscribe', channel: 'news', id: 2 });
    await subscriber.next();
    const emitted = await run(dir, 'emit.js', [redis.url, 'from a worker']);
    expect(emitted).toEqual({ code: 0, output: '' });
    expect(await subscriber.next()).toEqual([{ type: 'data', channel: 'news', data: 'from a worker' }]);
  });

  itOnceForAllNodes(
    'compiles with strict and skipLibCheck false',
    () => {
      expect(typeCheck(dir)).toBe('');
    },
    60_000,
  );
});
