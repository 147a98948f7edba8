import { createHash, timingSafeEqual } from 'node:crypto';
import { isIPv4 } from 'node:net';

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

/**
 * Whether a request from `remoteAddress` (the socket's peer, never a forwarded header) may use the
 * broadcast endpoint: loopback always, others only if listed in `allowedHosts`. An unknown address
 * is refused.
 */
export function isBroadcastAllowed(remoteAddress: string | undefined, allowedHosts: readonly string[] = []): boolean {
  if (!remoteAddress) return false;
  if (isLoopback(remoteAddress)) return true;
  const normalized = normalizeAddress(remoteAddress);
  return allowedHosts.some((host) => normalizeAddress(host) === normalized);
}

/** `Authorization: Bearer <token>` against the expected token, in constant time. */
export function bearerTokenMatches(authorization: string | string[] | undefined, expected: string): boolean {
  const header = Array.isArray(authorization) ? authorization[0] : authorization;
  const match = header === undefined ? null : /^Bearer\s+(\S+)\s*$/i.exec(header);
  if (!match) return false;
  const digest = (value: string) => createHash('sha256').update(value).digest();
  return timingSafeEqual(digest(match[1]), digest(expected));
}
