import type { IncomingMessage, Server, ServerResponse } from 'node:http';
import type { AbstractHttpAdapter } from '@nestjs/core';

type RequestListener = (request: IncomingMessage, response: ServerResponse) => void;
/** `awaitsContinue`: the client sent `Expect: 100-continue` and waits for it before the body. */
export type AheadListener = (request: IncomingMessage, response: ServerResponse, awaitsContinue: boolean) => void;

/** What is used of a Fastify instance, typed here: fastify is not a dependency of this package. */
interface FastifyOnRequest {
  addHook(
    name: 'onRequest',
    hook: (request: { raw: IncomingMessage }, reply: { raw: ServerResponse; hijack(): void }, done: () => void) => void,
  ): unknown;
}

/**
 * Serves the requests `isOurs` picks (by method, URL, headers: never the body) before the framework
 * (Express, Fastify) sees them; every other request goes to the framework as before. The library's
 * own routes (the broadcast bridge, the docs) are answered so because the framework would otherwise
 * run its body parsers and the app's middleware first, and because a route of ours must not depend
 * on which framework the app chose.
 *
 * Two ways in, both needed:
 * - the app's HTTP server: our listener replaces the framework's and calls them for the others. A
 *   client that waits for `100 Continue` before sending the body gets it only if `serve` sends it.
 * - Fastify also hands requests to its router by ways that pass by that server: `app.listen(port)`
 *   binds 'localhost', for which Fastify opens a second server on the other loopback address (::1
 *   when the first is 127.0.0.1) with its own handler and none of the server's listeners, and
 *   `app.inject()` calls the handler directly. An `onRequest` hook, which runs before Fastify reads a
 *   byte of the body, hands our requests to `serve` there too; Fastify is told (hijack) that the
 *   answer is not its own. Requests through the app's HTTP server never get there.
 */
export function serveAhead(
  server: Server,
  adapter: AbstractHttpAdapter | undefined,
  isOurs: (request: IncomingMessage) => boolean,
  serve: AheadListener,
): void {
  const framework = server.listeners('request') as RequestListener[];
  server.removeAllListeners('request');
  server.on('request', (request: IncomingMessage, response: ServerResponse) => {
    if (isOurs(request)) return serve(request, response, false);
    for (const listener of framework) listener.call(server, request, response);
  });
  const frameworkContinue = server.listeners('checkContinue') as RequestListener[];
  server.removeAllListeners('checkContinue');
  server.on('checkContinue', (request: IncomingMessage, response: ServerResponse) => {
    if (isOurs(request)) return serve(request, response, true);
    if (frameworkContinue.length > 0) {
      for (const listener of frameworkContinue) listener.call(server, request, response);
      return;
    }
    // What Node does when nobody listens for `checkContinue`.
    response.writeContinue();
    server.emit('request', request, response);
  });
  if (adapter?.getType() !== 'fastify') return;
  adapter.getInstance<FastifyOnRequest>().addHook('onRequest', (request, reply, done) => {
    if (!isOurs(request.raw)) return done();
    reply.hijack();
    serve(request.raw, reply.raw, false);
  });
}

/** The path of a request URL, without its query string. */
export function routeOf(url: string | undefined): string | undefined {
  if (url === undefined) return undefined;
  const query = url.indexOf('?');
  return query === -1 ? url : url.slice(0, query);
}
