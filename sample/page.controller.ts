import { Controller, Get, Header, NotFoundException } from '@nestjs/common';
import { pageBundleFile } from './page-bundle.js';
import { PAGE_HTML } from './page.html.js';

/**
 * What the page may do: its script and style sheet come from this origin only, it connects to this
 * origin only (`'self'` covers `ws:`/`wss:` to the same host), and nothing else is allowed.
 * `img-src data:` is for the empty favicon, which saves the browser a request.
 */
const CONTENT_SECURITY_POLICY = [
  "default-src 'none'",
  "script-src 'self'",
  "style-src 'self'",
  "connect-src 'self'",
  'img-src data:',
  "frame-ancestors 'none'",
  "base-uri 'none'",
  "form-action 'none'",
].join('; ');

/**
 * GET / serves the sample's page, GET /page.js and /page.css its bundle (scripts/build-sample-page.mjs,
 * run by `npm run start:sample`); the WebSocket on the same path is SocketApiModule's.
 */
@Controller()
export class PageController {
  @Get()
  @Header('Content-Type', 'text/html; charset=utf-8')
  @Header('Content-Security-Policy', CONTENT_SECURITY_POLICY)
  page(): string {
    return PAGE_HTML;
  }

  @Get('page.js')
  @Header('Content-Type', 'text/javascript; charset=utf-8')
  @Header('X-Content-Type-Options', 'nosniff')
  @Header('Cache-Control', 'no-cache')
  script(): string {
    return bundleFile('page.js');
  }

  @Get('page.css')
  @Header('Content-Type', 'text/css; charset=utf-8')
  @Header('X-Content-Type-Options', 'nosniff')
  @Header('Cache-Control', 'no-cache')
  style(): string {
    return bundleFile('page.css');
  }
}

function bundleFile(file: 'page.js' | 'page.css'): string {
  const text = pageBundleFile(file);
  if (text === undefined) throw new NotFoundException(`${file} is not built: run node scripts/build-sample-page.mjs`);
  return text;
}
