import { chromium, type Browser, type Locator, type Page } from 'playwright-core';
import { eventually } from './wait.js';

/**
 * Debian's chromium (CI installs it when missing; no browser is downloaded), headless, with every
 * background service that would make requests of its own turned off: what a test sees the page
 * request is the page's doing.
 */
export function launchChromium(): Promise<Browser> {
  return chromium.launch({
    executablePath: process.env.CHROMIUM_PATH ?? '/usr/bin/chromium',
    args: [
      '--no-sandbox',
      '--disable-background-networking',
      '--disable-component-update',
      '--disable-default-apps',
      '--disable-domain-reliability',
      '--disable-sync',
      '--metrics-recording-only',
      '--no-first-run',
      '--no-pings',
    ],
  });
}

/**
 * The page's script errors and console errors (a CSP violation is one), but for those the test causes on
 * purpose (`expected`: a refused token, a server stopped): each is a bug of the page, for the test to fail with.
 */
export function collectPageErrors(page: Page, expected: RegExp[] = []): string[] {
  const errors: string[] = [];
  page.on('console', (message) => {
    const text = message.text();
    if (message.type() === 'error' && !expected.some((pattern) => pattern.test(text))) errors.push(text);
  });
  page.on('pageerror', (error) => errors.push(error.message));
  return errors;
}

/** Every URL a page asked for: HTTP requests (documents, scripts, fetches) and WebSockets. */
export function recordRequests(page: Page, urls: string[] = []): string[] {
  page.on('request', (request) => urls.push(request.url()));
  page.on('websocket', (socket) => urls.push(socket.url()));
  return urls;
}

/**
 * Waits until the element's text contains `expected` (or matches it), as the page updates on its
 * own time; resolves with the text. (playwright-core has no `expect` of its own.)
 */
export function shows(locator: Locator, expected: string | RegExp, timeoutMs = 10_000): Promise<string> {
  return eventually(
    () => locator.innerText({ timeout: timeoutMs }),
    (text) => (typeof expected === 'string' ? text.includes(expected) : expected.test(text)),
    { timeoutMs, what: `${String(locator)} to show ${String(expected)}` },
  );
}

/** Waits until `count` elements match. */
export async function countIs(locator: Locator, count: number, timeoutMs = 10_000): Promise<void> {
  await eventually(
    () => locator.count(),
    (found) => found === count,
    {
      timeoutMs,
      what: `${count} of ${String(locator)}`,
    },
  );
}
