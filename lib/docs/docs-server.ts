import { Buffer } from 'node:buffer';
import type { IncomingMessage, OutgoingHttpHeaders, Server, ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import type { TLSSocket } from 'node:tls';
import { Inject, Injectable, Logger, Optional, type OnModuleInit } from '@nestjs/common';
import { HttpAdapterHost } from '@nestjs/core';
import { describeException } from '../logging/describe-exception.js';
import { bearerTokenMatches } from '../network/bearer-token.js';
import { routeOf, serveAhead } from '../network/serve-ahead.js';
import { RESOLVED_SOCKET_API_OPTIONS, type ResolvedSocketApiOptions } from '../options/resolved-options.js';
import { PageMessage } from './page.messages.js';
import { AsyncApiDocumentFactory } from './asyncapi-document.factory.js';
import { loadPageBundle, type PageAsset, type PageBundle } from './page-bundle.js';
import { pageShell } from './page-shell.js';

/**
 * What a browser may do with our answers. The page's script and style sheet come from this origin
 * only, it connects to this origin only (`'self'` covers `ws:`/`wss:` to the same host), it may not be
 * framed, and nothing else (fonts, frames, forms, plugins) is allowed. `img-src data:` is for the
 * empty favicon of the shell, which saves the browser a request.
 */
const CONTENT_SECURITY_POLICY = [
  "default-src 'none'",
  "script-src 'self'",
  "style-src 'self'",
  "connect-src 'self'",
  "img-src 'self' data:",
  "frame-ancestors 'none'",
  "base-uri 'none'",
  "form-action 'none'",
].join('; ');

/** On every answer of the docs routes, errors included. */
const SECURITY_HEADERS: OutgoingHttpHeaders = {
  'content-security-policy': CONTENT_SECURITY_POLICY,
  'x-content-type-options': 'nosniff',
  'x-frame-options': 'DENY',
  'referrer-policy': 'no-referrer',
  // Another site's page may not load these as a no-cors resource (a script tag reading the JSON).
  'cross-origin-resource-policy': 'same-origin',
};

interface Answer {
  status: number;
  headers?: OutgoingHttpHeaders;
  body: Buffer;
}

/**
 * Serves the docs when `forRoot({ docs })` is given: `GET {path}` the page, `GET {path}/asyncapi.json`
 * the document, `{path}/app.js` and `{path}/app.css` the page's bundle. A fixed table of routes: no
 * part of a URL ever names a file, so there is no path to traverse; anything else under `{path}/`
 * is a 404, a method other than GET or HEAD a 405. Served ahead of the framework (see `serveAhead`),
 * so that the routes are the same on Express and Fastify and the app's middleware and global
 * prefix do not apply. With `docs.token`, the document is given only for
 * `Authorization: Bearer <token>`; the page and its bundle, which say nothing about the app, are public.
 */
@Injectable()
export class DocsServer implements OnModuleInit {
  private readonly logger = new Logger('SocketApiDocs');
  private readonly routes = new Map<string, (request: IncomingMessage) => Answer>();
  /** The document last served, for the server location (`ws://host`) it names. */
  private lastDocument?: { location: string; body: Buffer };

  constructor(
    @Inject(RESOLVED_SOCKET_API_OPTIONS) private readonly options: ResolvedSocketApiOptions,
    private readonly documents: AsyncApiDocumentFactory,
    @Optional() private readonly adapterHost?: HttpAdapterHost,
  ) {}

  onModuleInit(): void {
    const { docs } = this.options;
    if (!docs) return;
    const server = this.adapterHost?.httpAdapter?.getHttpServer() as Server | undefined;
    if (!server) {
      this.logger.warn(PageMessage.noHttpServer);
      return;
    }
    // '/docs/' and '/docs' are one page; the routes under it are built from the form without the slash.
    const base = docs.path.replace(/\/+$/, '');
    const loaded = loadPageBundle();
    const bundle = 'tried' in loaded ? undefined : loaded;
    if (!bundle) this.logger.error(PageMessage.bundleMissing('tried' in loaded ? loaded.tried : []));
    this.route(base, bundle);

    // Everything under `{path}/` is ours (an unknown file there is our 404, not the app's route);
    // with `path: '/'`, only the table's routes, or the docs would take the app's every URL.
    const isOurs = (request: IncomingMessage) => {
      const route = routeOf(request.url) ?? '';
      return this.routes.has(route) || (base !== '' && route.startsWith(`${base}/`));
    };
    serveAhead(server, this.adapterHost?.httpAdapter, isOurs, (request, response) => this.serve(request, response));
    const logUrl = () => this.logger.log(PageMessage.served(pageUrl(server, base)));
    if (server.listening) logUrl();
    else server.once('listening', logUrl);
  }

  private route(base: string, bundle: PageBundle | undefined): void {
    const shell = pageShell(base, bundle);
    const page = (request: IncomingMessage) => cached(request, shell);
    this.routes.set(base === '' ? '/' : base, page);
    this.routes.set(`${base}/`, page);
    this.routes.set(`${base}/asyncapi.json`, (request) => this.document(request));
    if (bundle) {
      this.routes.set(`${base}/app.js`, (request) => cached(request, bundle.script));
      this.routes.set(`${base}/app.css`, (request) => cached(request, bundle.style));
    }
  }

  private serve(request: IncomingMessage, response: ServerResponse): void {
    let answer: Answer;
    try {
      const route = this.routes.get(routeOf(request.url) ?? '');
      if (!route) answer = error(404, PageMessage.notFound);
      else if (request.method !== 'GET' && request.method !== 'HEAD') {
        answer = error(405, PageMessage.methodNotAllowed, { allow: 'GET, HEAD' });
      } else answer = route(request);
    } catch (failure) {
      this.logger.error(PageMessage.failed, describeException(failure));
      answer = error(500, PageMessage.internalError);
    }
    if (response.headersSent || response.destroyed) return;
    response.writeHead(answer.status, {
      ...SECURITY_HEADERS,
      'content-length': answer.body.length,
      ...answer.headers,
    });
    // A body sent with a request would otherwise be left unread on a kept-alive connection.
    request.resume();
    response.end(request.method === 'HEAD' ? undefined : answer.body);
  }

  private document(request: IncomingMessage): Answer {
    const { token } = this.options.docs ?? {};
    if (token !== undefined && !bearerTokenMatches(request.headers.authorization, token)) {
      return error(401, PageMessage.unauthorized, { 'www-authenticate': 'Bearer realm="socket-docs"' });
    }
    const encrypted = (request.socket as Partial<TLSSocket>).encrypted === true;
    const host = hostHeader(request.headers.host) ?? hostOf(request.socket.address() as AddressInfo);
    const protocol = encrypted ? 'wss' : 'ws';
    const location = `${protocol}://${host}`;
    // Nearly every request names the same host: its answer is kept, so that a burst of requests
    // costs what a static file does rather than a copy and a serialization of the document each.
    if (this.lastDocument?.location !== location) {
      const json = JSON.stringify(this.documents.documentFor({ host, protocol }));
      this.lastDocument = { location, body: Buffer.from(json, 'utf8') };
    }
    return {
      status: 200,
      headers: {
        'content-type': 'application/json; charset=utf-8',
        // Built from the request's Host, and maybe behind a token: no cache keeps it.
        'cache-control': 'no-store',
      },
      body: this.lastDocument.body,
    };
  }
}

/**
 * A static file's answer: revalidated on each use (`no-cache`: the page's URL never changes, and an
 * asset may be asked for without the `?v=` hash the page adds), 304 when the browser's copy is current.
 */
function cached(request: IncomingMessage, file: PageAsset): Answer {
  const headers = { etag: file.etag, 'cache-control': 'no-cache', 'content-type': file.contentType };
  if (request.headers['if-none-match'] === file.etag) return { status: 304, headers, body: Buffer.alloc(0) };
  return { status: 200, headers, body: file.body };
}

function error(status: number, message: string, headers: OutgoingHttpHeaders = {}): Answer {
  return {
    status,
    headers: { 'content-type': 'application/json; charset=utf-8', 'cache-control': 'no-store', ...headers },
    body: Buffer.from(JSON.stringify({ error: message }), 'utf8'),
  };
}

/**
 * A name or address with an optional port (`example.com`, `127.0.0.1:3000`, `[::1]:3000`), or
 * `undefined`: whatever else a client sends as its Host (markup, a path, several hosts) is not
 * repeated in the document, whose server is then the address the request came in on.
 */
const HOST = /^(?:[A-Za-z0-9](?:[A-Za-z0-9.-]{0,252})|\[[0-9A-Fa-f:.]{2,45}\])(?::\d{1,5})?$/;

function hostHeader(value: string | undefined): string | undefined {
  return value !== undefined && HOST.test(value) ? value : undefined;
}

function hostOf({ address, family, port }: AddressInfo): string {
  return `${family === 'IPv6' ? `[${address}]` : address}:${port}`;
}

/** The page's URL as the startup log shows it: localhost for a server on every address. */
function pageUrl(server: Server, base: string): string {
  const address = server.address();
  if (address === null || typeof address === 'string') return base || '/';
  const wildcard = address.address === '::' || address.address === '0.0.0.0';
  return `http://${wildcard ? `localhost:${address.port}` : hostOf(address)}${base || '/'}`;
}
