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

/** A set of addresses and ranges, as `allowedHosts` and `trustedProxies` list them. */
export interface AddressList {
  /** Whether the address (any form: IPv4-mapped, with a zone) is listed or inside a listed range. */
  has(address: string): boolean;
}

/**
 * `['10.0.0.1', '10.0.0.0/8', '::1', 'fd00::/8']` as an `AddressList`: whole addresses, never prefixes
 * of their text (`10.0.0.1` does not match `10.0.0.15`). Throws a TypeError naming the first entry
 * that is neither an address nor a CIDR range.
 */
export function addressList(entries: readonly string[]): AddressList {
  const list = new BlockList();
  for (const entry of entries) {
    const [written, prefix, extra] = String(entry).split('/');
    const address = normalizeAddress(written);
    const family = isIP(address);
    const bits = family === 4 ? 32 : 128;
    const length = prefix === undefined ? bits : /^\d{1,3}$/.test(prefix) ? Number(prefix) : NaN;
    if (family === 0 || extra !== undefined || !(length >= 0 && length <= bits)) {
      throw new TypeError(`'${entry}' is neither an IP address nor a CIDR such as '10.0.0.0/8' or 'fd00::/8'`);
    }
    list.addSubnet(address, length, family === 4 ? 'ipv4' : 'ipv6');
  }
  return {
    has(address) {
      const normalized = normalizeAddress(address);
      const family = isIP(normalized);
      return family !== 0 && list.check(normalized, family === 4 ? 'ipv4' : 'ipv6');
    },
  };
}
