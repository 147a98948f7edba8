import { addressList, isLoopback } from '../network/ip-addresses.js';

/** Whether a request from `remoteAddress` (the socket's peer) may use the broadcast endpoint. */
export type BroadcastHostRule = (remoteAddress: string | undefined) => boolean;

/**
 * The rule of `allowedHosts`, built once: loopback always, others only when they are a listed
 * address (`'10.0.0.5'`, `'2001:db8::1'`) or inside a listed CIDR range (`'10.0.0.0/24'`,
 * `'2001:db8::/48'`): whole addresses, never prefixes of their text (`10.0.0.1` does not let in
 * `10.0.0.15`). The address is the socket's peer, never a forwarded header; an unknown one is
 * refused. Throws on an entry that is neither an address nor a range, naming it.
 */
export function broadcastHostRule(allowedHosts: readonly string[] = []): BroadcastHostRule {
  const allowed = addressList(allowedHosts);
  return (remoteAddress) => remoteAddress !== undefined && (isLoopback(remoteAddress) || allowed.has(remoteAddress));
}

/**
 * `Content-Type: application/json`, with parameters or not. Browsers send no other type cross-site
 * without a CORS preflight: a plain form or `fetch` from another page cannot produce it.
 */
export function isJsonContentType(contentType: string | undefined): boolean {
  if (contentType === undefined) return false;
  const semicolon = contentType.indexOf(';');
  const type = (semicolon === -1 ? contentType : contentType.slice(0, semicolon)).trim().toLowerCase();
  return type === 'application/json';
}
