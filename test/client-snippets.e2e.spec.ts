import { spawn, type ChildProcess } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { AppModule } from '../sample/app.module.js';
import { startApp, type TestApp } from './support/test-app.js';

// The plain JavaScript clients of docs/client.md and the README, run unchanged (but for the port) in a
// separate Node process against the sample app. They use the global WebSocket, as in a browser: Node 22
// has it, Node 20 needs --experimental-websocket (or `ws`, as the docs say).
const snippets = resolve('test/recipes/client');
const webSocketFlag = Number(process.versions.node.split('.')[0]) < 22 ? ['--experimental-websocket'] : [];

describe('the client snippets of the docs, against the sample app', () => {
  let t: TestApp;
  let dir: string;
  let child: ChildProcess | undefined;
  beforeAll(async () => {
    t = await startApp({ imports: [AppModule] });
    dir = mkdtempSync(join(tmpdir(), 'socketapi-client-'));
  });
  afterEach(() => child?.kill());
  afterAll(async () => {
    rmSync(dir, { recursive: true, force: true });
    await t.close();
  });

  /** Starts a snippet, pointed at the test's server, and resolves with its output once `done` says so. */
  function runSnippet(name: string, done: (output: string) => boolean): Promise<string> {
    const file = join(dir, name);
    writeFileSync(file, readFileSync(join(snippets, name), 'utf8').replaceAll('ws://localhost:3000/', `${t.url}/`));
    const started = spawn(process.execPath, [...webSocketFlag, file], { env: { ...process.env, NODE_OPTIONS: '' } });
    child = started;
    let output = '';
    return new Promise((resolveOutput, reject) => {
      const collect = (chunk: Buffer) => {
        output += chunk.toString();
        if (done(output)) resolveOutput(output);
      };
      started.stdout.on('data', collect);
      started.stderr.on('data', collect);
      started.once('exit', (code) =>
        code === 0 ? resolveOutput(output) : reject(new Error(`exit ${code}: ${output}`)),
      );
    });
  }

  it('client.mjs calls an action, subscribes, gets the publication and a validation error, then ends', async () => {
    const output = await runSnippet('client.mjs', () => false);
    expect(output.trim().split('\n')).toEqual([
      'add_numbers: 8',
      'chat: Welcome',
      'chat: Hello everyone!',
      'VALIDATION_ERROR message should not be empty',
    ]);
  });

  it('minimal.mjs (the README) prints the reply, the subscription and the initial data', async () => {
    const output = await runSnippet('minimal.mjs', (text) => text.split('\n').length > 3);
    expect(
      output
        .trim()
        .split('\n')
        .map((line) => JSON.parse(line) as unknown),
    ).toEqual([
      { type: 'action', channel: 'add_numbers', status: 'completed', data: 8, id: 1 },
      { type: 'subscribed', channel: 'chat' },
      { type: 'data', channel: 'chat', data: { message: 'Welcome' } },
    ]);
  });
});
