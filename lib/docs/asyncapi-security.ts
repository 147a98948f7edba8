import type { SocketAuthenticator, SocketSecurityScheme } from '../interfaces/socket-authenticator.interface.js';
import { SecuritySchemeDescription } from '../protocol/docs.messages.js';
import type { AsyncApiReference, AsyncApiSecurityScheme } from './asyncapi-document.js';
import { AsyncApiIds } from './asyncapi-ids.js';

export interface DocumentSecurity {
  /** For `components.securitySchemes`. */
  schemes: Record<string, AsyncApiSecurityScheme>;
  /** For the server's `security`: any one of them lets a client in. */
  requirements: AsyncApiReference[];
}

/**
 * The security schemes of the `auth` option, as its authenticator describes them
 * (`SocketAuthenticator.securitySchemes`); an authenticator that does not gets one generic scheme
 * saying that connections are authenticated, so that the document never claims an open server.
 */
export function documentSecurity(auth: SocketAuthenticator | undefined): DocumentSecurity | undefined {
  if (!auth) return undefined;
  const described = auth.securitySchemes?.() ?? [];
  const schemes: Record<string, AsyncApiSecurityScheme> = {};
  if (described.length === 0) {
    schemes.custom = { type: 'http', scheme: 'custom', description: SecuritySchemeDescription.custom };
  }
  const ids = new AsyncApiIds();
  for (const scheme of described) schemes[ids.take(keyOf(scheme))] = toAsyncApi(scheme);
  return {
    schemes,
    requirements: Object.keys(schemes).map((key) => ({ $ref: `#/components/securitySchemes/${key}` })),
  };
}

function toAsyncApi(scheme: SocketSecurityScheme): AsyncApiSecurityScheme {
  if (scheme.type === 'httpApiKey') {
    const { type, name, description } = scheme;
    return { type, in: scheme.in, name, ...(description === undefined ? {} : { description }) };
  }
  return {
    type: 'http',
    scheme: 'bearer',
    ...(scheme.bearerFormat === undefined ? {} : { bearerFormat: scheme.bearerFormat }),
    ...(scheme.description === undefined ? {} : { description: scheme.description }),
    ...(scheme.subprotocol === undefined ? {} : { 'x-socketapi-subprotocol': scheme.subprotocol }),
  };
}

function keyOf(scheme: SocketSecurityScheme): string {
  return scheme.type === 'http' ? 'bearer' : `${scheme.in}_${scheme.name}`;
}
