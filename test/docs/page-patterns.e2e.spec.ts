import 'reflect-metadata';
import { Injectable } from '@nestjs/common';
import type { Browser } from 'playwright-core';
import { SocketApiModule, SocketChannel } from '../../lib/index.js';
import { launchChromium, shows } from '../support/browser.js';
import { useCleanup } from '../support/cleanup.js';
import { startApp } from '../support/test-app.js';

@Injectable()
class Rooms {
  @SocketChannel('rooms/:roomId', { history: { size: 10, ttl: 60_000 } })
  room(): void {}
}

/*
 * The docs page on a pattern channel (issue 12): its card asks for the concrete name to subscribe
 * to (`rooms/42`), and that is the name the frames carry.
 */
describe('The docs page on a pattern channel (real browser)', () => {
  const cleanup = useCleanup();
  let browser: Browser;

  beforeAll(async () => {
    browser = await launchChromium();
  });
  afterAll(async () => {
    await browser.close();
  });

  it('subscribes by the concrete name written in the card', async () => {
    const app = cleanup.track(
      await startApp({ imports: [SocketApiModule.forRoot({ docs: true })], providers: [Rooms] }),
    );
    const context = await browser.newContext();
    cleanup.add(() => context.close());
    const page = await context.newPage();
    await page.goto(`${app.url.replace(/^ws:/, 'http:')}/socket-docs`);
    const card = page.locator('details.card[data-name="rooms/:roomId"]');
    await card.waitFor();
    const connection = page.locator('fieldset[data-connection="A"]');
    await connection.getByRole('button', { name: 'Connect' }).click();
    await shows(connection.locator('output.status'), 'connected');
    await card.locator('summary').first().click();
    const name = card.getByLabel('Channel (replace each :parameter)');
    expect(await name.inputValue()).toBe('rooms/:roomId');
    await name.fill('rooms/42');
    await card.getByRole('button', { name: 'Subscribe', exact: true }).click();
    await shows(page.locator('section.log tbody, .log tbody').first(), '"channel":"rooms/42"');
  });
});
