import type { Server } from 'node:net';
import type { INestApplicationContext } from '@nestjs/common';
import { HttpAdapterHost } from '@nestjs/core';
import type { AsyncApiDocument, AsyncApiInfo, AsyncApiServerLocation } from './asyncapi-document.js';
import { AsyncApiDocumentFactory } from './asyncapi-document.factory.js';

/** What {@link createSocketApiDocument} may change in the document it gives. */
export interface SocketApiDocumentOverrides extends Partial<AsyncApiServerLocation> {
  /** Merged over the `info` of the `docs` option (title, version, description). */
  info?: Partial<AsyncApiInfo>;
}

/**
 * The app's AsyncAPI 3.0.0 document, as `{docsPath}/asyncapi.json` serves it, for an app that has
 * been initialized (`await app.init()`); it need not listen, and the `docs` option need not be on
 * (`info` then has the defaults, 'SocketAPI' 1.0.0). Like `SwaggerModule.createDocument`, for a
 * build script that writes the document to a file:
 *
 * ```ts
 * const app = await NestFactory.create(AppModule, { logger: false, abortOnError: false });
 * await app.init();
 * const document = createSocketApiDocument(app, { host: 'api.example.com', protocol: 'wss' });
 * await writeFile('asyncapi.json', JSON.stringify(document, null, 2));
 * await app.close();
 * ```
 *
 * The server's `host` is `localhost` with the app's port when it listens, `localhost` alone when it
 * does not, unless given; `protocol` is `ws` unless given.
 */
export function createSocketApiDocument(
  app: INestApplicationContext,
  overrides: SocketApiDocumentOverrides = {},
): AsyncApiDocument {
  const { info, host = defaultHost(app), protocol = 'ws' } = overrides;
  const document = app.get(AsyncApiDocumentFactory, { strict: false }).documentFor({ host, protocol });
  if (info) document.info = { ...document.info, ...info };
  return document;
}

function defaultHost(app: INestApplicationContext): string {
  // Both platforms' HTTP server is a Node `net.Server`; an app made with `createApplicationContext` has none.
  const server = app.get(HttpAdapterHost, { strict: false }).httpAdapter?.getHttpServer() as Server | undefined;
  const address = server?.address();
  return address && typeof address === 'object' ? `localhost:${address.port}` : 'localhost';
}
