import type { IncomingHttpHeaders, IncomingMessage } from 'node:http';
import type { HandshakeRequest } from '../../lib/interfaces/socket-authenticator.interface.js';

/** A handshake as the gateway builds it, from headers and query parameters only. */
export function handshake(
  init: { headers?: IncomingHttpHeaders; query?: Record<string, string | string[]> } = {},
): HandshakeRequest {
  const headers = init.headers ?? {};
  return {
    headers,
    query: init.query ?? {},
    cookies: {},
    remoteAddress: '127.0.0.1',
    raw: { headers } as IncomingMessage,
  };
}
