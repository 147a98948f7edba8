import type { AllowedOrigins } from '../interfaces/socket-api-options.interface.js';

/** Whether a request that sent `origin` (its `Origin` header) to `host` (its `Host` header) may go on. */
export type OriginPolicy = (origin: string | undefined, host: string | undefined) => boolean;

const DEFAULT_PORTS: Readonly<Record<string, string>> = { 'http:': '80', 'https:': '443', 'ws:': '80', 'wss:': '443' };

export interface OriginPolicyOptions {
  /**
   * Whether a page may always reach the server that served it (the `Origin`'s host and port equal the
   * `Host`). True for the socket. False for the HTTP bridge: a page whose host name an attacker
   * rebinds to 127.0.0.1 (DNS rebinding) has an `Origin` equal to its `Host`, so only listed origins
   * may call it from a browser.
   */
  ownOrigin: boolean;
}

/**
 * The origin policy, built once from `allowedOrigins`:
 * - a request without `Origin` is not from a browser and passes (browsers always send it on upgrades);
 * - by default (as gorilla/websocket does) the `Origin`'s host and port must equal the request's
 *   `Host`: a page may use the socket of the server that served it, no other page may, so that cookie
 *   authentication cannot be used by another site (cross-site WebSocket hijacking);
 * - listed origins (exact strings, or RegExps tested against the whole `Origin` value) pass as well:
 *   a frontend served from elsewhere, such as a dev server on another port;
 * - `'*'` lets every origin in, and a function decides alone.
 */
export function originPolicy(
  allowed: AllowedOrigins | undefined,
  { ownOrigin }: OriginPolicyOptions = { ownOrigin: true },
): OriginPolicy {
  if (allowed === '*') return () => true;
  if (typeof allowed === 'function') return (origin) => allowed(origin) === true;
  const exact = new Set<string>();
  const patterns: RegExp[] = [];
  for (const entry of allowed ?? []) {
    if (typeof entry === 'string') exact.add(entry.toLowerCase());
    // Without `g`/`y`, `test()` keeps no state between calls (with them it alternates true/false).
    else patterns.push(new RegExp(entry.source, entry.flags.replace(/[gy]/g, '')));
  }
  return (origin, host) => {
    if (origin === undefined) return true;
    if (ownOrigin && sameHost(origin, host)) return true;
    if (exact.has(origin.toLowerCase())) return true;
    for (const pattern of patterns) if (pattern.test(origin)) return true;
    return false;
  };
}

/** `Origin: http://localhost:3000` against `Host: localhost:3000`; default ports are implied on either side. */
function sameHost(origin: string, host: string | undefined): boolean {
  if (!host) return false;
  let url: URL;
  try {
    url = new URL(origin);
  } catch {
    return false; // `null` (sandboxed frames, file://) and anything else that is not a URL
  }
  const defaultPort = DEFAULT_PORTS[url.protocol];
  if (defaultPort === undefined) return false;
  const expected = `${url.hostname}:${url.port || defaultPort}`;
  return withPort(host.trim().toLowerCase(), defaultPort) === expected;
}

function withPort(host: string, defaultPort: string): string {
  // `[::1]:3000`, `[::1]`, `example.com:8080`, `example.com`
  const portSeparator = host.lastIndexOf(':');
  const hasPort = portSeparator !== -1 && host.lastIndexOf(']') < portSeparator;
  return hasPort ? host : `${host}:${defaultPort}`;
}

/** The log line of a refused origin: what was refused, and how to allow it if that was meant. */
export function originRefusedHint(origin: string | undefined, host: string | undefined): string {
  const shown = (value: string | undefined) => JSON.stringify(value?.slice(0, 200) ?? null);
  const refused = `Refused a WebSocket upgrade from Origin ${shown(origin)} (request Host ${shown(host)})`;
  let serialized: string | undefined;
  try {
    serialized = origin === undefined ? undefined : new URL(origin).origin;
  } catch {
    serialized = undefined;
  }
  if (serialized === undefined || serialized === 'null') {
    return `${refused}: only a function in allowedOrigins can allow an Origin that is not a URL.`;
  }
  const hint = `add '${serialized.slice(0, 200)}' to allowedOrigins`;
  return `${refused}: if that page is yours (a dev server, a frontend on another host), ${hint}.`;
}
