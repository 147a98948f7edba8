import 'reflect-metadata';
import { Injectable } from '@nestjs/common';
import type { Browser, Page } from 'playwright-core';
import { OnSocketConnect, SocketAction, SocketApiModule, type SocketConnection } from '../lib/index.js';
import { AppModule } from '../sample/app.module.js';
import { AdminGuard } from '../sample/auth/admin.guard.js';
import { ChatService } from '../sample/chat/chat.service.js';
import { PageController } from '../sample/page.controller.js';
import { PageText } from '../sample/page/page.messages.js';
import { RoomsService } from '../sample/rooms/rooms.service.js';
import { UsersService } from '../sample/users/users.service.js';
import { sampleClient } from '../sample/typed-client.js';
import { collectPageErrors, countIs, launchChromium, recordRequests, shows } from './support/browser.js';
import { useCleanup } from './support/cleanup.js';
import { startApp, type TestApp } from './support/test-app.js';
import { eventually } from './support/wait.js';

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

  describe('the Room panel', () => {
    /** The sample's connections, for the test to drop one from the server's side as a network failure would. */
    @Injectable()
    class Connections {
      readonly all: SocketConnection[] = [];

      @OnSocketConnect()
      opened(connection: SocketConnection): void {
        this.all.push(connection);
      }

      /** Closes the open connection of the page opened as `?name=<name>` (1011: the client reconnects). */
      drop(name: string): void {
        const connection = this.all.find((candidate) => candidate.isOpen && candidate.query.name === name);
        if (!connection) throw new Error(`no open connection named ${name}`);
        connection.close(1011);
      }
    }

    const startSample = (port = 0) =>
      startApp({ imports: [AppModule], providers: [Connections] }, undefined, 'express', port);

    /** A page of the sample as `name`, in the room `roomId`, with its members showing itself. */
    async function inRoom(origin: string, name: string, roomId: string): Promise<Page> {
      // While the server is down (the restart below), Chromium reports each refused socket on the console.
      const { page } = await openPage(`${origin}/?${new URLSearchParams({ name }).toString()}`, [
        /WebSocket connection to .* failed/,
      ]);
      await shows(page.locator('#status'), 'open');
      await page.locator('#room-id').fill(roomId);
      await page.getByRole('button', { name: 'Join', exact: true }).click();
      await shows(page.locator('#members'), name);
      return page;
    }

    const messages = (page: Page) => page.locator('#room-messages li');
    const members = (page: Page) => page.locator('#members li');
    const send = async (page: Page, message: string) => {
      await page.locator('#room-message').fill(message);
      await page.getByRole('button', { name: 'send_to_room' }).click();
    };

    it('shows both members and their messages; after a drop it recovers every message once, in order, and asks the members again', async () => {
      const app = cleanup.track(await startSample());
      const origin = app.url.replace(/^ws:/, 'http:');
      const ada = await inRoom(origin, 'ada', 'lobby');
      const bob = await inRoom(origin, 'bob', 'lobby');
      await eventually(
        () => members(ada).allInnerTexts(),
        (names) => names.join() === 'ada,bob',
      );
      await eventually(
        () => members(bob).allInnerTexts(),
        (names) => names.join() === 'ada,bob',
      );

      await send(ada, 'hello from ada');
      await shows(messages(bob).first(), 'hello from ada');
      await shows(ada.locator('#room-reply'), '"offset":1');

      // Ada's socket closed by the server, and three messages published before she can be back: in the
      // same turn of the event loop, so she cannot have resubscribed yet (the in-memory store needs no I/O).
      const rooms = app.app.get(RoomsService);
      app.app.get(Connections).drop('ada');
      for (const message of ['missed 1', 'missed 2', 'missed 3']) await rooms.send({ roomId: 'lobby', message });
      await shows(messages(ada).nth(3), 'missed 3', 15_000);
      await shows(ada.locator('#status'), 'open');
      // Her resubscribe asked for recovery and the server answered it with the missed offsets.
      await shows(ada.locator('#log'), /"offset":4,"epoch":"[^"]+","recovered":true,"id":/);
      await send(bob, 'after the drop');
      await shows(messages(ada).nth(4), 'after the drop');
      expect(await messages(ada).allInnerTexts()).toEqual([
        'hello from ada',
        'missed 1',
        'missed 2',
        'missed 3',
        'after the drop',
      ]);
      expect(await messages(bob).allInnerTexts()).toEqual(await messages(ada).allInnerTexts());
      expect(await ada.locator('#room-notice').isHidden()).toBe(true);
      // Cleared while she was away, asked again once back: both, once each (ada's new connection included).
      await eventually(
        () => members(ada).allInnerTexts(),
        (names) => names.join() === 'ada,bob',
      );
      await eventually(
        () => members(bob).allInnerTexts(),
        (names) => names.join() === 'ada,bob',
      );

      await bob.getByRole('button', { name: 'Leave', exact: true }).click();
      await eventually(
        () => members(ada).allInnerTexts(),
        (names) => names.join() === 'ada',
      );
    }, 60_000);

    it('says that messages may be missing when the history is gone (the server restarted), and goes on', async () => {
      let app = await startSample();
      cleanup.add(() => app.close());
      const { port } = new URL(app.url);
      const ada = await inRoom(`http://127.0.0.1:${port}`, 'ada', 'lobby');
      await send(ada, 'before');
      await shows(messages(ada).first(), 'before');

      await app.close();
      await shows(ada.locator('#status'), 'reconnecting');
      expect(await members(ada).count()).toBe(0);
      app = await startSample(Number(port));
      await shows(ada.locator('#room-notice'), 'may be missing', 15_000);
      await shows(messages(ada).nth(1), PageText.roomGap);
      await shows(ada.locator('#members'), 'ada');
      await send(ada, 'after the restart');
      await shows(messages(ada).nth(2), 'after the restart');
      expect(await messages(ada).allInnerTexts()).toEqual(['before', PageText.roomGap, 'after the restart']);
      await countIs(members(ada), 1);
    }, 60_000);

    it('shows what others send as text, never as markup', async () => {
      const app = cleanup.track(await startSample());
      const origin = app.url.replace(/^ws:/, 'http:');
      const markup = '<img src=x onerror="document.title=1">';
      // A name is cut to 32 characters by the server: this one is shorter.
      const ada = await inRoom(origin, '<img src=x onerror=alert(1)>', 'lobby');
      await send(ada, markup);
      await shows(messages(ada).first(), markup);
      expect(await ada.locator('#room-messages img, #members img').count()).toBe(0);
      expect(await ada.title()).not.toBe('1');
    }, 30_000);
  });
});
