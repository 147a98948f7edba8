import { execFile, execFileSync } from 'node:child_process';
import { mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { promisify } from 'node:util';
import { build } from 'esbuild';
import { startClientServer, type ClientTestServer } from './client/support/client-server.js';
import { describeOnceForAllNodes } from './support/node-subset.js';

/**
 * nestjs-socketapi-client as a frontend developer gets it: `npm pack -w client`'s tarball (built by
 * its `prepack`), installed with rxjs by npm into projects outside this repository, then run by
 * Node, type-checked by strict TypeScript projects and bundled for a browser.
 */
const root = resolve('.');
const run = promisify(execFile);
const tsc = createRequire(import.meta.url).resolve('typescript/bin/tsc');
const rxjsVersion = (
  JSON.parse(readFileSync(join(root, 'node_modules/rxjs/package.json'), 'utf8')) as { version: string }
).version;
/** Node 22 and later have a global WebSocket; Node 20 has one only behind --experimental-websocket. */
const nodeHasWebSocket = Number(process.versions.node.split('.')[0]) >= 22;

let work: string;
let tarball: string;
/** Client + rxjs only: the browser app's dependencies (and Node 22+'s). */
let lean: string;
/** Client + rxjs + ws: a Node 20 app. */
let withWs: string;

// A Node script of the app, to its end: it must exit by itself once the client is closed (no
// socket, timer or retry left behind). `node <script> <url>`.
const SCRIPTS: Record<string, string> = {
  'actions.mjs': `import { SocketApiClient } from 'nestjs-socketapi-client';
const client = new SocketApiClient(process.argv[2]);
console.log('REPLY=' + (await client.action('add', { a: 5, b: 3 })));
const payloads = [];
let payloadArrived = () => {};
const news = client.subscribe('news').subscribe((payload) => {
  payloads.push(payload);
  payloadArrived();
});
const payloadCount = (count) =>
  new Promise((resolve) => {
    payloadArrived = () => payloads.length >= count && resolve();
    payloadArrived();
  });
await payloadCount(1); // the channel's initial data
await client.action('publish', { seq: 7 });
await payloadCount(2);
console.log('NEWS=' + JSON.stringify(payloads));
news.unsubscribe();
await client.close();
console.log('STATE=' + client.state.status);
`,
  // No WebSocket option: what the platform offers decides.
  'platform.mjs': `import { SocketApiClient } from 'nestjs-socketapi-client';
import { filter, firstValueFrom } from 'rxjs';
const client = new SocketApiClient(process.argv[2]);
const reply = client.action('add', { a: 5, b: 3 }).then(
  (sum) => 'REPLY=' + sum,
  (error) => 'REJECTED=' + error.code,
);
const settled = await firstValueFrom(client.state$.pipe(filter(({ status }) => status !== 'connecting')));
console.log('STATE=' + settled.status + ' ' + (settled.error?.code ?? ''));
if (settled.error) console.log('MESSAGE=' + settled.error.message);
console.log(await reply);
await client.close();
`,
};

// The client's public types used as an app does, in strict projects that check every declaration
// file (skipLibCheck false): a browser app (DOM, bundler resolution) and a Node app (@types/node,
// nodenext). A project with neither cannot use rxjs (its declarations name setTimeout); that the
// client itself needs neither is client/tsconfig.json's check (no DOM, no Node types).
const TYPES_FILE = `import { ClientErrorCode, SocketApiClient, SocketApiError, type ClientState } from 'nestjs-socketapi-client';
import type { Observable } from 'rxjs';

interface Contract {
  actions: { add: { data: { a: number; b: number }; reply: number } };
  channels: { news: { data: { since?: number } | undefined; payload: { seq: number } } };
}

const client = new SocketApiClient<Contract>('ws://127.0.0.1:3000/', { reconnect: { maxDelayMs: 5000 } });
export const sum: Promise<number> = client.action('add', { a: 5, b: 3 }, { timeoutMs: 1000 });
export const news: Observable<{ seq: number }> = client.subscribe('news', () => ({ since: 3 }));
export const state: ClientState = client.state;
export const timedOut = (error: unknown): boolean =>
  error instanceof SocketApiError && error.code === ClientErrorCode.TIMEOUT && error.maybeExecuted;
// @ts-expect-error: no such action
void client.action('ad', { a: 5, b: 3 });
// @ts-expect-error: b is a number
void client.action('add', { a: 5, b: '3' });
// @ts-expect-error: the reply is a number
export const text: Promise<string> = client.action('add', { a: 5, b: 3 });
// @ts-expect-error: no such channel
client.subscribe('nws');
`;

const STRICT = { strict: true, skipLibCheck: false, noEmit: true, target: 'ES2022', verbatimModuleSyntax: true };
const TSCONFIGS: Record<string, Record<string, unknown>> = {
  browser: { ...STRICT, module: 'ESNext', moduleResolution: 'bundler', lib: ['ES2022', 'DOM'], types: [] },
  node: {
    ...STRICT,
    module: 'NodeNext',
    moduleResolution: 'NodeNext',
    lib: ['ES2022'],
    types: ['node'],
    // Node's types from this repository, not installed in the app (its node_modules is the point).
    typeRoots: [join(root, 'node_modules/@types')],
  },
};

const BROWSER_ENTRY = `import { SocketApiClient } from 'nestjs-socketapi-client';
const client = new SocketApiClient('wss://example.com/');
client.action('add', { a: 5, b: 3 }).then((sum) => console.log(sum));
client.subscribe('news').subscribe((payload) => console.log(payload));
`;

async function installApp(name: string, packages: string[]): Promise<string> {
  const dir = join(work, name);
  mkdirSync(dir);
  writeFileSync(join(dir, 'package.json'), JSON.stringify({ name, private: true, type: 'module' }));
  // From the registry, as a user's install; --prefer-offline takes npm's cache when it has them.
  await run('npm', ['install', '--prefer-offline', '--no-audit', '--no-fund', tarball, ...packages], { cwd: dir });
  for (const [file, source] of Object.entries(SCRIPTS)) writeFileSync(join(dir, file), source);
  return dir;
}

/** Runs a script of an app with the Node running the test, without Jest's flags; resolves with its output. */
async function runScript(dir: string, script: string, url: string): Promise<string[]> {
  const { stdout } = await run(process.execPath, [join(dir, script), `${url}/`], {
    env: { ...process.env, NODE_OPTIONS: '' },
    timeout: 15_000,
  });
  return stdout.trim().split('\n');
}

/** The compiler's errors on `source` in the app `dir` with the tsconfig `TSCONFIGS[name]`; '' when none. */
function typeErrors(dir: string, name: string, source: string): Promise<string> {
  writeFileSync(join(dir, `${name}.ts`), source);
  writeFileSync(
    join(dir, `tsconfig.${name}.json`),
    JSON.stringify({ compilerOptions: TSCONFIGS[name], files: [`${name}.ts`] }),
  );
  return run(process.execPath, [tsc, '-p', join(dir, `tsconfig.${name}.json`)], { cwd: dir }).then(
    () => '',
    (error: Error & { stdout?: string }) => error.stdout || error.message,
  );
}

beforeAll(async () => {
  work = mkdtempSync(join(tmpdir(), 'socketapi-client-package-'));
  // `npm pack` runs the client's `prepack` (its clean build); --json names the tarball it wrote.
  const packed = execFileSync('npm', ['pack', '-w', 'client', '--json', '--pack-destination', work], {
    cwd: root,
    encoding: 'utf8',
    stdio: 'pipe',
  });
  const [{ filename }] = JSON.parse(packed.slice(packed.search(/^\[/m))) as Array<{ filename: string }>;
  tarball = join(work, filename);
  [lean, withWs] = await Promise.all([
    installApp('lean', [`rxjs@${rxjsVersion}`]),
    installApp('with-ws', [`rxjs@${rxjsVersion}`, 'ws@^8']),
  ]);
}, 180_000);
afterAll(() => rmSync(work, { recursive: true, force: true }));

describe('the tarball', () => {
  it('holds the build (JavaScript and declarations), the README, the license and package.json', () => {
    const files = execFileSync('tar', ['-tzf', tarball], { encoding: 'utf8' }).trim().split('\n').sort();
    expect(files.filter((file) => !/^package\/dist\/[\w.-]+\.(js|d\.ts)$/.test(file))).toEqual([
      'package/LICENSE',
      'package/README.md',
      'package/package.json',
    ]);
    const modules = files.filter((file) => file.endsWith('.js'));
    expect(modules).toContain('package/dist/index.js');
    for (const file of modules) expect(files).toContain(file.replace(/\.js$/, '.d.ts'));
  });

  it('is installed with rxjs (and its tslib) only: no Nest, validators, Redis, jose or ws', () => {
    expect(readdirSync(join(lean, 'node_modules')).filter((name) => !name.startsWith('.'))).toEqual([
      'nestjs-socketapi-client',
      'rxjs',
      'tslib',
    ]);
    const installed = join(lean, 'node_modules/nestjs-socketapi-client/dist');
    for (const file of readdirSync(installed)) {
      // No source map comment pointing at files the package does not have.
      expect(readFileSync(join(installed, file), 'utf8')).not.toContain('sourceMappingURL');
    }
  });
});

describe('a Node app', () => {
  let server: ClientTestServer;
  beforeAll(async () => {
    server = await startClientServer();
  });
  afterAll(() => server.close());

  it('with ws next to it: an action, the initial data and a publication, then exits by itself after close()', async () => {
    expect(await runScript(withWs, 'actions.mjs', server.url)).toEqual([
      'REPLY=8',
      'NEWS=[{"seq":0},{"seq":7}]',
      'STATE=closed',
    ]);
  });

  if (nodeHasWebSocket) {
    it(`without ws on Node ${process.versions.node}: connects with the global WebSocket`, async () => {
      expect(await runScript(lean, 'platform.mjs', server.url)).toEqual(['STATE=open ', 'REPLY=8']);
    });
  } else {
    it(`without ws on Node ${process.versions.node}: stops with CLIENT_NO_WEBSOCKET, which says what to install`, async () => {
      const [state, message, reply] = await runScript(lean, 'platform.mjs', server.url);
      expect(state).toBe('STATE=closed CLIENT_NO_WEBSOCKET');
      expect(message).toContain('npm i ws');
      // The action waiting for the connection fails with the same reason rather than hanging.
      expect(reply).toBe('REJECTED=CLIENT_NO_WEBSOCKET');
    });
  }
});

describeOnceForAllNodes('the typings, in a strict app (skipLibCheck false)', () => {
  it.each(Object.keys(TSCONFIGS))(
    '%s app: compiles, wrong names and types refused',
    async (name) => {
      expect(await typeErrors(lean, name, TYPES_FILE)).toBe('');
    },
    60_000,
  );

  it('a wrong action name, input, reply use or channel name is an error (each @ts-expect-error is needed)', async () => {
    const errors = await typeErrors(lean, 'browser', TYPES_FILE.replaceAll('// @ts-expect-error', '//'));
    expect(errors).toMatch(/browser\.ts\(\d+,\d+\): error TS2345: Argument of type '"ad"'/);
    expect(errors.match(/error TS/g)).toHaveLength(4);
  }, 60_000);
});

describe('bundled for a browser from the installed package', () => {
  it('needs neither ws nor a node: module', async () => {
    writeFileSync(join(lean, 'browser.js'), BROWSER_ENTRY);
    const result = await build({
      absWorkingDir: lean,
      entryPoints: ['browser.js'],
      bundle: true,
      format: 'esm',
      platform: 'browser',
      write: false,
      metafile: true,
      logLevel: 'silent',
    });
    const inputs = Object.keys(result.metafile.inputs);
    expect(inputs.filter((input) => !/^node_modules\/(nestjs-socketapi-client|rxjs|tslib)\//.test(input))).toEqual([
      'browser.js',
    ]);
    const code = result.outputFiles[0].text;
    expect(code).not.toMatch(/(from|import\(|require\()\s*["'](ws|node:[\w/]+)["']/);
    expect(code).toContain('new SocketApiClient("wss://example.com/")');
  });

  it("is smaller, minified and gzipped, than socket.io-client's (npm run size:client)", () => {
    const [, bundled, socketIo] = JSON.parse(
      execFileSync(process.execPath, ['scripts/measure-client-size.mjs', '--json'], { cwd: root, encoding: 'utf8' }),
    ) as Array<{ name: string; gzipped: number }>;
    expect(bundled.name).toContain('rxjs parts it uses bundled');
    expect(bundled.gzipped).toBeLessThan(socketIo.gzipped);
  });
});
