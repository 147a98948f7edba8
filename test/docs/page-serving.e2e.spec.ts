import 'reflect-metadata';
import { createServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import type { ModuleMetadata } from '@nestjs/common';
import type { NestFastifyApplication } from '@nestjs/platform-fastify';
import { SocketApiModule, type SocketApiDocsOptions } from '../../lib/index.js';
import { AppModule } from '../../sample/app.module.js';
import { AdminGuard } from '../../sample/auth/admin.guard.js';
import { ChatService } from '../../sample/chat/chat.service.js';
import { PageController } from '../../sample/page.controller.js';
import { UsersService } from '../../sample/users/users.service.js';
import { CapturingLogger } from '../support/capturing-logger.js';
import { httpRequest, type HttpReply } from '../support/http-request.js';
import { useCleanup } from '../support/cleanup.js';
import { PLATFORMS, type Platform } from '../support/platforms.js';
import { startApp } from '../support/test-app.js';
import { TestClient } from '../support/ws-client.js';

/** The sample's handlers under a module with the given docs options. */
function sampleWith(docs: boolean | SocketApiDocsOptions): ModuleMetadata {
  return {
    imports: [SocketApiModule.forRoot({ path: '/', docs })],
    providers: [ChatService, UsersService, AdminGuard],
  };
}

function expectHardened(reply: HttpReply): void {
  const policy = String(reply.headers['content-security-policy']);
  for (const directive of [
    "default-src 'none'",
    "script-src 'self'",
    "style-src 'self'",
    "connect-src 'self'",
    "frame-ancestors 'none'",
    "base-uri 'none'",
  ]) {
    expect(policy.split('; ')).toContain(directive);
  }
  expect(policy).not.toContain('unsafe');
  expect(reply.headers['x-content-type-options']).toBe('nosniff');
}

describe.each(PLATFORMS)('The docs routes on %s', (platform: Platform) => {
  const cleanup = useCleanup();

  async function start(metadata: ModuleMetadata = { imports: [AppModule] }): Promise<number> {
    const app = cleanup.track(await startApp(metadata, undefined, platform));
    return Number(new URL(app.url).port);
  }

  it('serves the page shell, its bundle and the document, with the CSP and cache headers', async () => {
    const port = await start();
    const shell = await httpRequest(port, '/socket-docs');
    expect(shell.status).toBe(200);
    expect(shell.headers['content-type']).toBe('text/html; charset=utf-8');
    expectHardened(shell);
    // No inline script or style (the CSP would block them): the bundle is loaded from our own routes.
    expect(shell.body).not.toMatch(/<script(?![^>]*\bsrc=)[^>]*>|<style|\sstyle=|\son[a-z]+=/i);
    const script = /<script type="module" src="([^"]+)"/.exec(shell.body)?.[1];
    const style = /<link rel="stylesheet" href="([^"]+)"/.exec(shell.body)?.[1];
    expect(script).toMatch(/^\/socket-docs\/app\.js\?v=/);
    expect(style).toMatch(/^\/socket-docs\/app\.css\?v=/);

    const js = await httpRequest(port, script!);
    expect(js.status).toBe(200);
    expect(js.headers['content-type']).toBe('text/javascript; charset=utf-8');
    expect(js.body.length).toBeGreaterThan(1000);
    expectHardened(js);
    const css = await httpRequest(port, style!);
    expect(css.headers['content-type']).toBe('text/css; charset=utf-8');
    const revalidated = await httpRequest(port, '/socket-docs/app.js', 'GET', {
      'if-none-match': String(js.headers.etag),
    });
    expect([revalidated.status, revalidated.body]).toEqual([304, '']);

    const document = await httpRequest(port, '/socket-docs/asyncapi.json');
    expect(document.status).toBe(200);
    expect(document.headers['content-type']).toBe('application/json; charset=utf-8');
    expect(document.headers['cache-control']).toBe('no-store');
    expectHardened(document);
    const body = JSON.parse(document.body) as { asyncapi: string; servers: { socketapi: { host: string } } };
    expect(body.asyncapi).toBe('3.0.0');
    expect(body.servers.socketapi.host).toBe(`127.0.0.1:${port}`);

    // A Host that is no host[:port] is not repeated in the document: the address the request came in on is.
    for (const forged of ['evil"><script>alert(1)</script>', 'a.example/path', 'a.example, b.example', ' ']) {
      const answered = await httpRequest(port, '/socket-docs/asyncapi.json', 'GET', { host: forged });
      const { servers } = JSON.parse(answered.body) as { servers: { socketapi: { host: string } } };
      expect(servers.socketapi.host).toBe(`127.0.0.1:${port}`);
    }
    for (const host of ['docs.example.com', 'docs.example.com:8443', '[::1]:3000']) {
      const answered = await httpRequest(port, '/socket-docs/asyncapi.json', 'GET', { host });
      expect((JSON.parse(answered.body) as { servers: { socketapi: { host: string } } }).servers.socketapi.host).toBe(
        host,
      );
    }

    // A trailing slash and a query string name the same page.
    expect((await httpRequest(port, '/socket-docs/')).body).toBe(shell.body);
    expect((await httpRequest(port, '/socket-docs?utm=x')).body).toBe(shell.body);
  });

  it('answers HEAD without a body, other methods with 405, unknown and traversing paths with 404', async () => {
    const port = await start();
    const head = await httpRequest(port, '/socket-docs/app.css', 'HEAD');
    const get = await httpRequest(port, '/socket-docs/app.css');
    expect(head.status).toBe(200);
    expect(head.body).toBe('');
    expect(head.headers['content-length']).toBe(String(Buffer.byteLength(get.body)));

    for (const method of ['POST', 'PUT', 'DELETE', 'PATCH', 'OPTIONS']) {
      const refused = await httpRequest(port, '/socket-docs/asyncapi.json', method);
      expect([method, refused.status, refused.headers.allow]).toEqual([method, 405, 'GET, HEAD']);
      expectHardened(refused);
    }
    for (const path of [
      '/socket-docs/nope',
      '/socket-docs/../package.json',
      '/socket-docs/%2e%2e/package.json',
      '/socket-docs/..%2fpackage.json',
      '/socket-docs//app.js',
      '/socket-docs/app.js/',
      '/socket-docs/APP.JS',
      '/socket-docs/asyncapi.json/..',
    ]) {
      const missing = await httpRequest(port, path);
      expect([path, missing.status, missing.headers['content-type']]).toEqual([
        path,
        404,
        'application/json; charset=utf-8',
      ]);
      expectHardened(missing);
    }
  });

  it("leaves the app's own routes and the socket alone", async () => {
    const port = await start();
    const home = await httpRequest(port, '/');
    expect(home.status).toBe(200);
    // The sample page's own headers (its controller sets a CSP of its own), none of the docs routes'.
    expect(home.headers['x-frame-options']).toBeUndefined();
    expect(home.headers['cross-origin-resource-policy']).toBeUndefined();
    // A route that only starts like ours is the framework's (its 404, without our headers).
    const other = await httpRequest(port, '/socket-docsx');
    expect(other.status).toBe(404);
    expect(other.headers['content-security-policy']).toBeUndefined();

    const client = cleanup.track(await TestClient.open(`ws://127.0.0.1:${port}/`));
    client.send({ type: 'action', channel: 'add_numbers', id: 1, data: { a: 2, b: 2 } });
    expect(await client.next()).toEqual([
      { type: 'action', channel: 'add_numbers', status: 'completed', data: 4, id: 1 },
    ]);
  });

  it('gives the document only for the right bearer token; the page and bundle stay public', async () => {
    const port = await start(sampleWith({ token: 'docs-s3cret', path: '/api-docs' }));
    const attempts: Array<Record<string, string>> = [
      {},
      { authorization: 'Bearer wrong' },
      { authorization: 'Bearer docs-s3cre' },
      { authorization: 'Basic ZG9jcy1zM2NyZXQ=' },
      { authorization: 'docs-s3cret' },
    ];
    for (const headers of attempts) {
      const refused = await httpRequest(port, '/api-docs/asyncapi.json', 'GET', headers);
      expect([headers, refused.status]).toEqual([headers, 401]);
      expect(refused.headers['www-authenticate']).toBe('Bearer realm="socket-docs"');
      expect(refused.body).not.toContain('asyncapi');
    }
    // Never from the query string (it would end up in access logs and Referer headers).
    expect((await httpRequest(port, '/api-docs/asyncapi.json?token=docs-s3cret')).status).toBe(401);
    const granted = await httpRequest(port, '/api-docs/asyncapi.json', 'GET', { authorization: 'Bearer docs-s3cret' });
    expect(granted.status).toBe(200);
    expect((JSON.parse(granted.body) as { asyncapi: string }).asyncapi).toBe('3.0.0');

    for (const path of ['/api-docs', '/api-docs/app.js', '/api-docs/app.css']) {
      const open = await httpRequest(port, path);
      expect([path, open.status]).toEqual([path, 200]);
    }
    expect((await httpRequest(port, '/socket-docs')).status).toBe(404);
  });

  it('shares the HTTP server with the broadcast bridge (both served ahead of the framework)', async () => {
    const port = await start({
      imports: [SocketApiModule.forRoot({ path: '/', docs: true, broadcast: {} })],
      controllers: [PageController],
      providers: [ChatService, UsersService, AdminGuard],
    });
    expect((await httpRequest(port, '/socket-docs')).status).toBe(200);
    const broadcast = await httpRequest(port, '/_broadcast', 'POST', { 'content-type': 'application/json' });
    expect([broadcast.status, JSON.parse(broadcast.body)]).toEqual([400, { error: expect.any(String) }]);
    expect((await httpRequest(port, '/')).status).toBe(200);
  });

  it('logs where the page is once the server listens', async () => {
    const logger = new CapturingLogger();
    const app = cleanup.track(await startApp({ imports: [AppModule] }, (nest) => nest.useLogger(logger), platform));
    const port = new URL(app.url).port;
    const lines = logger.lines.filter((line) => line.details === 'SocketApiDocs').map((line) => line.message);
    expect(lines).toEqual([
      `Docs page: http://127.0.0.1:${port}/socket-docs (document at http://127.0.0.1:${port}/socket-docs/asyncapi.json)`,
    ]);
  });

  it('serves nothing when docs are off (the default)', async () => {
    const port = await start({
      imports: [SocketApiModule.forRoot({ path: '/' })],
      providers: [ChatService, UsersService, AdminGuard],
    });
    for (const path of ['/socket-docs', '/socket-docs/asyncapi.json', '/socket-docs/app.js']) {
      const reply = await httpRequest(port, path);
      expect([path, reply.status, reply.headers['content-security-policy']]).toEqual([path, 404, undefined]);
    }
  });
});

describe('The docs routes on Fastify, reached past the HTTP server', () => {
  const cleanup = useCleanup();

  // `app.listen(port)` on 'localhost' makes Fastify serve the other loopback address on a second
  // http.Server whose handler is its router (`fastify.routing`): none of the app server's listeners
  // run there. That server, built as Fastify builds it: the onRequest hook must answer there too.
  it('are answered by the onRequest hook, with the same headers', async () => {
    const app = cleanup.track(await startApp({ imports: [AppModule] }, undefined, 'fastify'));
    const fastify = (app.app as NestFastifyApplication).getHttpAdapter().getInstance();
    const second = createServer((request, response) => fastify.routing(request, response));
    await new Promise<void>((resolve) => second.listen(0, '127.0.0.1', resolve));
    cleanup.add(() => {
      second.closeAllConnections();
      return new Promise((resolve) => second.close(resolve));
    });
    const port = (second.address() as AddressInfo).port;
    const shell = await httpRequest(port, '/socket-docs');
    expect(shell.status).toBe(200);
    expectHardened(shell);
    expect(shell.body).toContain('/socket-docs/app.js');
    expect((await httpRequest(port, '/socket-docs/asyncapi.json', 'POST')).status).toBe(405);
    expect((await httpRequest(port, '/socket-docs/../x')).status).toBe(404);
  });
});
