import 'reflect-metadata';
import { readFileSync } from 'node:fs';
import { mkdir } from 'node:fs/promises';
import { fileURLToPath } from 'node:url';
import type { ModuleMetadata } from '@nestjs/common';
import type { Browser, BrowserContext, Page } from 'playwright-core';
import { SignJWT } from 'jose';
import { apiKeyAuthenticator, jwtAuthenticator, SocketApiModule } from '../../lib/index.js';
import { AppModule } from '../../sample/app.module.js';
import { AdminGuard } from '../../sample/auth/admin.guard.js';
import { ChatService } from '../../sample/chat/chat.service.js';
import { UsersService } from '../../sample/users/users.service.js';
import { collectPageErrors, countIs, launchChromium, recordRequests, shows } from '../support/browser.js';
import { useCleanup } from '../support/cleanup.js';
import { startApp, type TestApp } from '../support/test-app.js';
import { Documented } from './asyncapi-app.js';

const SCREENSHOT = fileURLToPath(new URL('../../docs/images/socket-docs.png', import.meta.url));

/** The sample app (its docs at the default path), on a free port; its page's origin. */
async function startSample(
  metadata: ModuleMetadata = { imports: [AppModule] },
): Promise<{ app: TestApp; origin: string }> {
  const app = await startApp(metadata);
  return { app, origin: app.url.replace(/^ws:/, 'http:') };
}

describe('The docs page in a real browser (sample app)', () => {
  const cleanup = useCleanup();
  let browser: Browser;
  let context: BrowserContext;
  let page: Page;
  let requests: string[];

  beforeAll(async () => {
    browser = await launchChromium();
  });
  afterAll(async () => {
    await browser.close();
  });
  /** A fresh browser context and page on the app; closed before the app (closers run last added first). */
  async function openPage(app: TestApp, expectedErrors: RegExp[] = []): Promise<void> {
    cleanup.track(app);
    context = await browser.newContext({ viewport: { width: 1400, height: 1150 }, acceptDownloads: true });
    page = await context.newPage();
    requests = recordRequests(page);
    const errors = collectPageErrors(page, expectedErrors);
    cleanup.add(async () => {
      await context.close();
      expect(errors).toEqual([]);
    });
  }

  const card = (name: string) => page.locator(`details.card[data-name="${name}"]`);
  const connection = (name: string) => page.locator(`fieldset[data-connection="${name}"]`);

  async function connect(name: string): Promise<void> {
    await connection(name).getByRole('button', { name: 'Connect' }).click();
    await shows(connection(name).locator('output.status'), 'connected');
  }

  async function execute(name: string, data?: string): Promise<void> {
    const target = card(name);
    if ((await target.getAttribute('open')) === null) {
      await target.locator('summary').first().click();
    }
    if (data !== undefined) await target.getByLabel('data (JSON)').fill(data);
    await target.getByRole('button', { name: 'Execute' }).click();
  }

  it('connects, executes actions, shows field errors, and sees a publication from another connection', async () => {
    const { app, origin } = await startSample();
    await openPage(app);
    await page.goto(`${origin}/socket-docs`);

    await shows(page.getByRole('heading', { level: 1 }), 'SocketAPI');
    // Grouped by tag, each handler a card; the socket URL prefilled from the page's origin and the server's path.
    await card('add_numbers').waitFor();
    expect(await card('chat').getAttribute('data-kind')).toBe('channel');
    expect(await connection('A').getByLabel('Socket URL').inputValue()).toBe(`${app.url}/`);

    await connect('A');
    await execute('add_numbers', '{ "a": 5, "b": 3 }');
    const addResult = card('add_numbers').locator('.result');
    await shows(addResult.locator('.outcome-ok'), 'completed');
    await shows(addResult.locator('.outcome-ok'), /\d+\.\d ms on connection A/);
    await shows(addResult.locator('pre'), '"data": 8');

    // The parameters table, from the DTOs: nested properties by path, with their constraints.
    await card('create_user').locator('summary').first().click();
    const parameters = card('create_user').locator('table.parameters');
    await shows(parameters.locator('tr', { hasText: 'user.address.zipcode' }), 'min length 5');

    await execute(
      'create_user',
      JSON.stringify({
        user: { username: 'x', email: 'nope', age: 30, address: { street: 's', city: 'c', zipcode: '1' } },
      }),
    );
    const errors = card('create_user').locator('.field-errors li');
    await shows(card('create_user').locator('.outcome-error'), 'VALIDATION_ERROR');
    await countIs(errors.filter({ hasText: 'user.username' }), 1);
    await countIs(errors.filter({ hasText: 'user.email' }), 1);
    await countIs(errors.filter({ hasText: 'user.address.zipcode' }), 1);

    // A second connection subscribes; the first publishes through an action: B sees it live.
    await page.getByRole('button', { name: 'Add connection' }).click();
    await connect('B');
    await connection('B').getByLabel('Cards use this connection').check();
    await card('chat').locator('summary').first().click();
    await card('chat').getByRole('button', { name: 'Subscribe', exact: true }).click();
    await shows(card('chat').locator('.result .outcome-ok'), 'subscribed');
    await shows(card('chat').locator('.publications li').first(), 'on B');

    await connection('A').getByLabel('Cards use this connection').check();
    await execute('send_message', '{ "message": "hello from A" }');
    await shows(card('send_message').locator('.result .outcome-ok'), 'connection A');
    await shows(card('chat').locator('.publications li', { hasText: 'hello from A' }), 'on B');

    // The log: frames of both connections (A's action out, B's publication in), a filter, and an
    // export that is a download of them all.
    const log = page.locator('section.log');
    await countIs(log.locator('tbody tr').filter({ hasText: 'hello from A' }), 2);
    await log.getByLabel('Filter').fill('add_numbers');
    await countIs(log.locator('tbody tr'), 2);
    const [download] = await Promise.all([
      page.waitForEvent('download'),
      log.getByRole('button', { name: 'Export JSON' }).click(),
    ]);
    const exported = JSON.parse(readFileSync(await download.path(), 'utf8')) as Array<{
      direction: string;
      text: string;
    }>;
    expect(exported.filter((frame) => frame.text.includes('hello from A')).map((frame) => frame.direction)).toEqual([
      'out',
      'in',
    ]);
    expect(exported.every((frame) => frame.direction === 'in' || frame.direction === 'out')).toBe(true);
    await log.getByLabel('Filter').fill('');

    if (process.env.UPDATE_SCREENSHOT === '1') {
      // Connected, the log filled, one card open with its reply.
      for (const name of ['create_user', 'send_message', 'chat']) await card(name).locator('summary').first().click();
      await page.evaluate('window.scrollTo(0, 0)');
      await mkdir(fileURLToPath(new URL('.', `file://${SCREENSHOT}`)), { recursive: true });
      await page.screenshot({ path: SCREENSHOT, fullPage: false });
    }

    // Paused, the log records frames without showing them; they appear when the pause ends. Clear empties it.
    const rows = log.locator('tbody tr');
    const shown = await rows.count();
    await log.getByLabel('Pause').check();
    await execute('add_numbers', '{ "a": 40, "b": 2 }');
    await shows(card('add_numbers').locator('pre.reply'), '"data": 42');
    await shows(log.locator('.toolbar .muted'), `${shown} shown of ${shown + 2} frames (paused)`);
    expect(await rows.count()).toBe(shown);
    await log.getByLabel('Pause').uncheck();
    await countIs(rows.filter({ hasText: '"data":42' }), 1);
    await log.getByRole('button', { name: 'Clear' }).click();
    await countIs(rows, 0);

    // Nothing but the app: the page, its bundle, the document and the sockets, all on its origin.
    const own = new URL(origin).host;
    expect(requests.length).toBeGreaterThanOrEqual(6);
    expect(requests.filter((url) => new URL(url).host !== own)).toEqual([]);
  }, 60_000);

  it('asks for the docs token, refuses a wrong one, and works with the right one', async () => {
    const { app, origin } = await startSample({
      imports: [SocketApiModule.forRoot({ path: '/', docs: { token: 'docs-s3cret' } })],
      providers: [ChatService, UsersService, AdminGuard],
    });
    await openPage(app, [/status of 401/]);
    await page.goto(`${origin}/socket-docs`);

    const tokenBox = page.getByLabel('Docs token');
    await tokenBox.fill('wrong');
    await page.getByRole('button', { name: 'Open the docs' }).click();
    await shows(page.getByRole('alert'), 'That token was refused.');
    await tokenBox.fill('docs-s3cret');
    await page.getByRole('button', { name: 'Open the docs' }).click();
    await card('add_numbers').waitFor();
    await connect('A');
    await execute('add_numbers', '{ "a": 1, "b": 2 }');
    await shows(card('add_numbers').locator('pre.reply'), '"data": 3');

    // A link may carry the token in its fragment (never sent to the server); the page drops it from the address bar.
    // (A new page: the same URL with another fragment would not load the page again.)
    page = await context.newPage();
    recordRequests(page, requests);
    await page.goto(`${origin}/socket-docs#token=docs-s3cret`);
    await card('add_numbers').waitFor();
    expect(new URL(page.url()).hash).toBe('');
    const own = new URL(origin).host;
    expect(requests.filter((url) => new URL(url).host !== own)).toEqual([]);
    expect(requests.some((url) => url.includes('docs-s3cret'))).toBe(false);
  }, 60_000);

  it("sends the socket's auth token the way the document's security schemes say (API key in the query)", async () => {
    const { app, origin } = await startSample({
      imports: [SocketApiModule.forRoot({ path: '/', docs: true, auth: apiKeyAuthenticator({ keys: ['key-123'] }) })],
      providers: [ChatService, UsersService, AdminGuard],
    });
    await openPage(app, [/HTTP Authentication failed/]);
    await page.goto(`${origin}/socket-docs`);
    const token = connection('A').getByLabel(/Auth token/);
    expect(await token.count()).toBe(1);
    await shows(connection('A').locator('label', { hasText: 'Auth token' }), '?api_key=');

    // Without the key the server refuses the upgrade; with it the connection works.
    await connection('A').getByRole('button', { name: 'Connect' }).click();
    await shows(connection('A').locator('output.status'), /^disconnected: closed/);
    await token.fill('key-123');
    await connect('A');
    await execute('add_numbers', '{ "a": 20, "b": 22 }');
    await shows(card('add_numbers').locator('pre.reply'), '"data": 42');
    const sockets = requests.filter((url) => url.startsWith('ws:'));
    expect(sockets.map((url) => new URL(url).searchParams.get('api_key'))).toEqual([null, 'key-123']);
  }, 60_000);

  it("sends a JWT in the WebSocket subprotocols (jwtAuthenticator's scheme for browsers), never in the URL", async () => {
    const secret = 'j'.repeat(32);
    const { app, origin } = await startSample({
      imports: [SocketApiModule.forRoot({ path: '/', docs: true, auth: jwtAuthenticator({ secret }) })],
      providers: [ChatService, UsersService, AdminGuard],
    });
    const jwt = await new SignJWT({})
      .setProtectedHeader({ alg: 'HS256' })
      .setSubject('ada')
      .setExpirationTime('1h')
      .sign(new TextEncoder().encode(secret));
    await openPage(app, [/HTTP Authentication failed/]);
    await page.goto(`${origin}/socket-docs`);
    await shows(connection('A').locator('label', { hasText: 'Auth token' }), 'bearer');

    // Without the token the server refuses the upgrade; with it the connection works.
    await connection('A').getByRole('button', { name: 'Connect' }).click();
    await shows(connection('A').locator('output.status'), /^disconnected: closed/);
    await connection('A')
      .getByLabel(/Auth token/)
      .fill(jwt);
    await connect('A');
    await execute('add_numbers', '{ "a": 40, "b": 2 }');
    await shows(card('add_numbers').locator('pre.reply'), '"data": 42');
    expect(requests.filter((url) => url.startsWith('ws:'))).toHaveLength(2);
    expect(requests.some((url) => url.includes(jwt))).toBe(false);
  }, 60_000);

  it('shows descriptions, examples, deprecated badges and odd names as the document gives them', async () => {
    const { app, origin } = await startSample({
      imports: [SocketApiModule.forRoot({ docs: true })],
      providers: [Documented, AdminGuard],
    });
    await openPage(app);
    await page.goto(`${origin}/socket-docs`);
    const action = (name: string) => page.locator(`details.card-action[data-name="${name}"]`);
    const channel = (name: string) => page.locator(`details.card-channel[data-name="${name}"]`);

    await countIs(action('count').locator(':scope > summary .badge-deprecated'), 1);
    await countIs(channel('labels').locator(':scope > summary .badge-deprecated'), 1);
    expect(await action('move').locator('summary .badge-deprecated').count()).toBe(0);
    await shows(page.locator('section.group', { has: action('move') }).locator('h2'), 'geometry');

    // The editor starts from the document's example; Execute gets the example's reply.
    await action('move').locator(':scope > summary').click();
    await shows(action('move').locator('.description'), 'Adds `dx` to `x`.');
    expect(JSON.parse(await action('move').getByLabel('data (JSON)').inputValue())).toEqual({ dx: 1 });
    await connect('A');
    await action('move').getByRole('button', { name: 'Execute' }).click();
    await shows(action('move').locator('pre.reply'), '"x": 1');

    // A name that is no document key as it is (slash, space, hash) is sent as the server knows it.
    await action('room_1__x').locator(':scope > summary').click();
    await action('room_1__x').getByRole('button', { name: 'Execute' }).click();
    await shows(action('room_1__x').locator('pre.reply'), '"data": true');
    await action('room/1 #x').locator(':scope > summary').click();
    await action('room/1 #x').getByRole('button', { name: 'Execute' }).click();
    await shows(action('room/1 #x').locator('.outcome-error'), 'FORBIDDEN');
  }, 60_000);
});
