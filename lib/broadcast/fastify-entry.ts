import type { IncomingMessage, ServerResponse } from 'node:http';
import type { AbstractHttpAdapter } from '@nestjs/core';

/** What the bridge uses of a Fastify instance, typed here: fastify is not a dependency of this package. */
interface FastifyOnRequest {
  addHook(
    name: 'onRequest',
    hook: (request: { raw: IncomingMessage }, reply: { raw: ServerResponse; hijack(): void }, done: () => void) => void,
  ): unknown;
}

/**
 * Fastify hands requests to its router by ways that pass by the app's HTTP server: `app.listen(port)`
 * binds 'localhost', for which Fastify opens a second server on the other loopback address (::1 when
 * the first is 127.0.0.1) with its own handler and none of the server's listeners, and `app.inject()`
 * calls the handler directly. An `onRequest` hook, which runs before Fastify reads a byte of the body,
 * hands the bridge's requests to it there too; Fastify is told (hijack) that the answer is not its own.
 * Requests through the app's HTTP server never get here: the bridge answers them ahead of Fastify.
 */
export function serveInFastify(
  adapter: AbstractHttpAdapter | undefined,
  isOurs: (request: IncomingMessage) => boolean,
  serve: (request: IncomingMessage, response: ServerResponse) => void,
): void {
  if (adapter?.getType() !== 'fastify') return;
  adapter.getInstance<FastifyOnRequest>().addHook('onRequest', (request, reply, done) => {
    if (!isOurs(request.raw)) return done();
    reply.hijack();
    serve(request.raw, reply.raw);
  });
}
