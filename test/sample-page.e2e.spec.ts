import 'reflect-metadata';
import { Injectable } from '@nestjs/common';
import type { Browser, Page } from 'playwright-core';
import { SocketAction, SocketApiModule } from '../lib/index.js';
import { AppModule } from '../sample/app.module.js';
import { AdminGuard } from '../sample/auth/admin.guard.js';
import { ChatService } from '../sample/chat/chat.service.js';
import { PageController } from '../sample/page.controller.js';
import { UsersService } from '../sample/users/users.service.js';
import { sampleClient } from '../sample/typed-client.js';
import { collectPageErrors, launchChromium, recordRequests, shows } from './support/browser.js';
import { useCleanup } from './support/cleanup.js';
import { startApp, type TestApp } from './support/test-app.js';

/**
 * The sample's page (sample/page/, bundled with the client) in a real headless Chromium, against the
 * sample app: an action and its reply, a publication made by another client (in Node), and the
 * subscription resumed once, by itself, after the server restarts.
 *
 * The restart is in-process: the app is closed (its listener gone, every socket closed) and a new
 * AppModule app, with fresh state and no subscription, listens on the same port. From the browser's
 * side that is all a restarted process is; a child process would need the sample compiled first
 * (tsc, tens of seconds here) for no more to observe.
 */
describe("the sample's page in a real browser", () => {
  const cleanup = useCleanup();
  let browser: Browser;

  beforeAll(async () => {
    browser = await launchChromium();
  });
  afterAll(async () => {
    await browser.close();
  });

  /** The page, with its requests recorded and any script error or CSP violation failing the test. */
  async function openPage(url: string, expectedErrors: RegExp[]): Promise<{ page: Page; requests: string[] }> {
    const context = await browser.newContext();
    const page = await context.newPage();
    const requests = recordRequests(page);
    const errors = collectPageErrors(page, expectedErrors);
    cleanup.add(async () => {
      await context.close();
      expect(errors).toEqual([]);
    });
    await page.goto(url);
    return { page, requests };
  }

  it('calls an action, sees a publication of another client, and resumes its subscription after a restart', async () => {
    let app: TestApp = await startApp({ imports: [AppModule] });
    // Whichever app is running at the end (the first one if the test fails before the restart).
    cleanup.add(() => app.close());
    const { port } = new URL(app.url);
    const origin = `http://127.0.0.1:${port}`;
    // While the server is down, Chromium reports each refused socket on the console: expected here.
    const { page, requests } = await openPage(`${origin}/`, [/WebSocket connection to .* failed/]);
    const status = page.locator('#status');
    const chat = page.locator('#chat li');
    await shows(status, 'open');

    await page.locator('#a').fill('40');
    await page.locator('#b').fill('2');
    await page.getByRole('button', { name: 'Call', exact: true }).click();
    await shows(page.locator('#add-reply'), '42');
    // The frames log shows the exchange the client made.
    await shows(page.locator('#log'), '"channel":"add_numbers"');

    await page.getByRole('button', { name: 'Subscribe', exact: true }).click();
    await shows(chat.first(), 'Welcome');

    // Another client, in Node: the same typed client, with the role AdminGuard asks for (for admin_stats below).
    const other = sampleClient(`ws://127.0.0.1:${port}/?role=admin`);
    cleanup.add(() => other.close());
    await other.action('send_message', { message: 'from Node' });
    await shows(chat.nth(1), 'from Node');

    await app.close();
    await shows(status, 'reconnecting');
    app = await startApp({ imports: [AppModule] }, undefined, 'express', Number(port));
    await shows(status, 'open', 15_000);
    // Subscribed again by itself: the new server's subscription starts with its initial data.
    await shows(chat.nth(2), 'Welcome', 15_000);
    expect(await other.action('admin_stats')).toEqual(expect.objectContaining({ chatSubscribers: 1 }));

    await other.action('send_message', { message: 'after the restart' });
    await other.action('send_message', { message: 'last' });
    await shows(chat.last(), 'last');
    // Every publication once, in order: a duplicate subscription would have doubled 'after the restart' before 'last'.
    expect(await chat.allInnerTexts()).toEqual(['Welcome', 'from Node', 'Welcome', 'after the restart', 'last']);
    expect(await status.getAttribute('data-status')).toBe('open');

    // Nothing but the app: the page, its bundle, the sockets, all on its origin.
    expect(requests.filter((url) => new URL(url).host !== `127.0.0.1:${port}`)).toEqual([]);
    expect(requests).toEqual(
      expect.arrayContaining([`${origin}/`, `${origin}/page.js`, `${origin}/page.css`, `ws://127.0.0.1:${port}/`]),
    );
  }, 60_000);

  it('connects with the query of its own URL, as AdminGuard reads it (?role=admin)', async () => {
    const app = cleanup.track(await startApp({ imports: [AppModule] }));
    const origin = app.url.replace(/^ws:/, 'http:');

    const { page: user } = await openPage(`${origin}/`, []);
    await shows(user.locator('#status'), 'open');
    await user.getByRole('button', { name: 'Call admin_stats' }).click();
    await shows(user.locator('#admin-reply'), 'FORBIDDEN: Admins only');

    const { page: admin } = await openPage(`${origin}/?role=admin`, []);
    await admin.getByRole('button', { name: 'Call admin_stats' }).click();
    await shows(admin.locator('#admin-reply'), '"messagesSent":0');
    // A server refusal of the nested DTO, shown with its code and the invalid field's path.
    await admin
      .locator('#user')
      .fill(
        '{"user":{"username":"bo","email":"bo@example.com","age":30,"address":{"street":"s","city":"c","zipcode":1}}}',
      );
    await admin.getByRole('button', { name: 'Call create_user' }).click();
    await shows(admin.locator('#user-reply'), 'VALIDATION_ERROR');
    await shows(admin.locator('#user-reply'), 'user.address.zipcode');
    expect(await admin.locator('#mismatch').isHidden()).toBe(true);
  }, 30_000);

  it('shows a banner when the server runs other handlers than the page was built for', async () => {
    @Injectable()
    class NewerHandlers {
      @SocketAction('added_since_the_page_was_built')
      added(): string {
        return 'new';
      }
    }
    const app = cleanup.track(
      await startApp({
        imports: [SocketApiModule.forRoot({ path: '/' })],
        controllers: [PageController],
        providers: [ChatService, UsersService, AdminGuard, NewerHandlers],
      }),
    );
    // The client warns on the console too (a warning, not an error).
    const { page } = await openPage(`${app.url.replace(/^ws:/, 'http:')}/`, []);
    await shows(page.getByRole('alert'), 'built for another version of the server');
    // Reported, not acted on: the page still works.
    await page.getByRole('button', { name: 'Call', exact: true }).click();
    await shows(page.locator('#add-reply'), '8');
    expect(await page.locator('#status').getAttribute('data-status')).toBe('open');
  }, 30_000);
});
