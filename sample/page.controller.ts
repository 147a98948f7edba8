import { Controller, Get, Header } from '@nestjs/common';
import { PAGE_HTML } from './page.html.js';

/** GET / serves a small test page; the WebSocket on the same path is SocketApiModule's. */
@Controller()
export class PageController {
  @Get()
  @Header('Content-Type', 'text/html; charset=utf-8')
  page(): string {
    return PAGE_HTML;
  }
}
