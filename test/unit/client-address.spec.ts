import type { IncomingMessage } from 'node:http';
import { addressLimitKey, clientAddressResolver } from '../../lib/network/client-address.js';
import { addressList } from '../../lib/network/ip-addresses.js';

function request(peer: string | undefined, forwardedFor?: string): IncomingMessage {
  const headers = forwardedFor === undefined ? {} : { 'x-forwarded-for': forwardedFor };
  return { socket: { remoteAddress: peer }, headers } as unknown as IncomingMessage;
}

describe('addressLimitKey', () => {
  it('IPv4 as it is; every address of one IPv6 /64 gives the same key', () => {
    expect(addressLimitKey('203.0.113.7')).toBe('203.0.113.7');
    expect(addressLimitKey('2001:db8:1:2::1')).toBe('2001:db8:1:2::/64');
    expect(addressLimitKey('2001:db8:1:2:ffff:ffff:ffff:ffff')).toBe('2001:db8:1:2::/64');
    expect(addressLimitKey('2001:0DB8:0001:0002:a:b:c:d')).toBe('2001:db8:1:2::/64');
    expect(addressLimitKey('2001:db8:1:3::1')).toBe('2001:db8:1:3::/64');
    expect(addressLimitKey('2001:db8::1')).toBe('2001:db8:0:0::/64');
    expect(addressLimitKey('::1')).toBe('0:0:0:0::/64');
    expect(addressLimitKey('1:2:3:4:5:6:7::')).toBe('1:2:3:4::/64');
    expect(addressLimitKey('1::5:6:7:8')).toBe('1:0:0:0::/64');
    expect(addressLimitKey('1:2:3::5:6:1.2.3.4')).toBe('1:2:3:0::/64');
    expect(addressLimitKey('64:ff9b::192.0.2.1')).toBe('64:ff9b:0:0::/64');
  });

  it('no address, or something that is not one, is its own key', () => {
    expect(addressLimitKey(undefined)).toBe('');
    expect(addressLimitKey('not-an-address')).toBe('not-an-address');
  });
});

describe('clientAddressResolver', () => {
  it('without trusted proxies: the peer, normalized; X-Forwarded-For is never read', () => {
    const resolve = clientAddressResolver();
    expect(resolve(request('::ffff:203.0.113.7', '198.51.100.1'))).toBe('203.0.113.7');
    expect(resolve(request('FE80::1%eth0'))).toBe('fe80::1');
    expect(resolve(request(undefined))).toBeUndefined();
  });

  it('a peer that is not a trusted proxy is the client, whatever it forwards', () => {
    const resolve = clientAddressResolver(['10.0.0.0/8']);
    expect(resolve(request('203.0.113.7', '198.51.100.1'))).toBe('203.0.113.7');
  });

  it('behind trusted proxies: the rightmost forwarded address that is not a trusted proxy', () => {
    const resolve = clientAddressResolver(['10.0.0.0/8', '::1', 'fd00::/8']);
    expect(resolve(request('10.0.0.2', '198.51.100.1'))).toBe('198.51.100.1');
    // The client wrote the leftmost entries itself: not believed past the first untrusted hop.
    expect(resolve(request('10.0.0.2', '1.1.1.1, 198.51.100.1, 10.0.0.9'))).toBe('198.51.100.1');
    expect(resolve(request('::ffff:10.0.0.2', ' 2001:db8::5 , fd00::3'))).toBe('2001:db8::5');
    expect(resolve(request('::1', '::ffff:198.51.100.1'))).toBe('198.51.100.1');
  });

  it('all hops trusted: the leftmost; a hop that is not an address stops the walk at the last good one', () => {
    const resolve = clientAddressResolver(['10.0.0.0/8']);
    expect(resolve(request('10.0.0.2', '10.0.0.4, 10.0.0.3'))).toBe('10.0.0.4');
    expect(resolve(request('10.0.0.2', 'garbage, 10.0.0.3'))).toBe('10.0.0.3');
    expect(resolve(request('10.0.0.2', '198.51.100.1, garbage'))).toBe('10.0.0.2');
    expect(resolve(request('10.0.0.2', ''))).toBe('10.0.0.2');
    expect(resolve(request('10.0.0.2'))).toBe('10.0.0.2');
  });

  it('a CIDR matches its range only (10.0.0.1/32 is not 10.0.0.15)', () => {
    const resolve = clientAddressResolver(['10.0.0.1', '192.168.0.0/24']);
    expect(resolve(request('10.0.0.1', '198.51.100.1'))).toBe('198.51.100.1');
    expect(resolve(request('10.0.0.15', '198.51.100.1'))).toBe('10.0.0.15');
    expect(resolve(request('192.168.0.255', '198.51.100.1'))).toBe('198.51.100.1');
    expect(resolve(request('192.168.1.1', '198.51.100.1'))).toBe('192.168.1.1');
  });
});

describe('addressList', () => {
  it('takes addresses and CIDRs of both families', () => {
    const list = addressList(['10.0.0.0/8', '::1', 'fd00::/8', '::ffff:192.0.2.1']);
    expect(list.has('10.255.0.1')).toBe(true);
    expect(list.has('fdab::1')).toBe(true);
    expect(list.has('192.0.2.1')).toBe(true);
    expect(list.has('11.0.0.1')).toBe(false);
    expect(list.has('::ffff:10.1.2.3')).toBe(true);
    expect(list.has('not an address')).toBe(false);
  });

  const invalid = [
    '10.0.0.0/',
    '10.0.0.0/33',
    '::/129',
    '10.0.0.0/8/8',
    '10.0.0.0/-1',
    '10.0.0.0/1e1',
    'localhost',
    '',
  ];
  it.each([...invalid, '10.0.0.256'])('refuses %j, naming it', (entry) => {
    expect(() => addressList([entry])).toThrow(`'${entry}' is neither an IP address nor a CIDR`);
  });
});
