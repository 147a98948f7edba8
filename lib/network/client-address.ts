import type { IncomingMessage } from 'node:http';
import { isIP, isIPv4 } from 'node:net';
import { addressList, normalizeAddress } from './ip-addresses.js';

/** The address of the client behind an upgrade request (normalized: IPv4-mapped IPv6 as IPv4, no zone). */
export type ClientAddressResolver = (request: IncomingMessage) => string | undefined;

/**
 * The client's address is the socket's peer, unless that peer is a trusted proxy: then it is read
 * from `X-Forwarded-For`, walking from the right (the hop the proxy itself appended) past every
 * trusted proxy. Hops further left were written by the client and are not believed, so an
 * untrusted client cannot choose the address it is counted as.
 */
export function clientAddressResolver(trustedProxies: readonly string[] = []): ClientAddressResolver {
  if (trustedProxies.length === 0) return peerAddress;
  const trusted = addressList(trustedProxies);
  return (request) => {
    let client = peerAddress(request);
    if (client === undefined || !trusted.has(client)) return client;
    // Node joins repeated X-Forwarded-For headers with ', ', in the order received.
    const header = request.headers['x-forwarded-for'];
    const hops = typeof header === 'string' ? header.split(',') : [];
    for (let index = hops.length - 1; index >= 0; index--) {
      const hop = normalizeAddress(hops[index]);
      // Not an address: nothing left of it can be believed, so the last hop read stays the client.
      if (isIP(hop) === 0) break;
      client = hop;
      if (!trusted.has(hop)) break;
    }
    return client;
  };
}

/**
 * What `maxConnectionsPerAddress` counts by: an IPv4 address as it is, an IPv6 address by its /64
 * prefix. One host usually gets a whole /64 and can use any address in it, so counting single IPv6
 * addresses would let it open as many connections as it likes.
 */
export function addressLimitKey(address: string | undefined): string {
  if (address === undefined) return '';
  return isIPv4(address) || isIP(address) === 0 ? address : `${ipv6Prefix64(address)}::/64`;
}

function peerAddress(request: IncomingMessage): string | undefined {
  const address = request.socket.remoteAddress;
  return address === undefined ? undefined : normalizeAddress(address);
}

/** The first four groups of a valid IPv6 address, expanded (`2001:db8::1` → `2001:db8:0:0`). */
function ipv6Prefix64(address: string): string {
  const [head, tail] = address.split('::');
  const groupsOf = (part: string | undefined): string[] => (part ? part.split(':') : []);
  // An embedded IPv4 address (`::ffff:1.2.3.4`, `64:ff9b::1.2.3.4`) fills the last two groups.
  const withIPv4 = (groups: string[]): string[] =>
    groups.flatMap((group) => (group.includes('.') ? ['0', '0'] : [group]));
  const first = withIPv4(groupsOf(head));
  const last = withIPv4(groupsOf(tail));
  const zeros = Array<string>(8 - first.length - last.length).fill('0');
  const groups = tail === undefined ? first : [...first, ...zeros, ...last];
  return groups
    .slice(0, 4)
    .map((group) => parseInt(group, 16).toString(16))
    .join(':');
}
