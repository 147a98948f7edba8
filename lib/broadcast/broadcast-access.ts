import { createHash, timingSafeEqual } from 'node:crypto';
import { BlockList, isIP, isIPv4 } from 'node:net';

/** `::ffff:10.0.0.5` is `10.0.0.5`; IPv6 is compared lower-case, without a zone. */
export function normalizeAddress(address: string): string {
  const lower = address.trim().toLowerCase();
  const mapped = /^::ffff:(\d+\.\d+\.\d+\.\d+)$/.exec(lower);
  if (mapped) return mapped[1];
  const zone = lower.indexOf('%');
  return zone === -1 ? lower : lower.slice(0, zone);
}

/** 127.0.0.0/8 and ::1 (also as IPv4-mapped IPv6). */
export function isLoopback(address: string): boolean {
  const normalized = normalizeAddress(address);
  if (isIPv4(normalized)) return normalized.startsWith('127.');
  return normalized === '::1' || normalized === '0:0:0:0:0:0:0:1';
}

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
  const allowed = new BlockList();
  for (const entry of allowedHosts) addEntry(allowed, entry);
  return (remoteAddress) => {
    if (!remoteAddress) return false;
    if (isLoopback(remoteAddress)) return true;
    const normalized = normalizeAddress(remoteAddress);
    const family = isIP(normalized);
    return family !== 0 && allowed.check(normalized, family === 4 ? 'ipv4' : 'ipv6');
  };
}

function addEntry(allowed: BlockList, entry: string): void {
  const [address, prefix, ...rest] = entry.split('/');
  const normalized = normalizeAddress(address);
  const family = isIP(normalized);
  const bits = family === 4 ? 32 : 128;
  const length = prefix === undefined ? bits : /^\d{1,3}$/.test(prefix) ? Number(prefix) : NaN;
  if (family === 0 || rest.length > 0 || !(length >= 0 && length <= bits)) {
    throw new Error(
      `broadcast.allowedHosts: '${entry}' is not an IP address or a CIDR range (such as '10.0.0.5' or '10.0.0.0/24').`,
    );
  }
  allowed.addSubnet(normalized, length, family === 4 ? 'ipv4' : 'ipv6');
}

/** `Authorization: Bearer <token>` against the expected token, in constant time. */
export function bearerTokenMatches(authorization: string | string[] | undefined, expected: string): boolean {
  const header = Array.isArray(authorization) ? authorization[0] : authorization;
  const match = header === undefined ? null : /^Bearer\s+(\S+)\s*$/i.exec(header);
  if (!match) return false;
  const digest = (value: string) => createHash('sha256').update(value).digest();
  return timingSafeEqual(digest(match[1]), digest(expected));
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
