import { bearerTokenMatches, isBroadcastAllowed, isLoopback, normalizeAddress } from '../../lib/broadcast/broadcast-access.js';

describe('broadcast endpoint access', () => {
  it('treats 127.0.0.0/8 and ::1, also IPv4-mapped, as loopback', () => {
    for (const address of ['127.0.0.1', '127.1.2.3', '::1', '::ffff:127.0.0.1', '0:0:0:0:0:0:0:1']) {
      expect(isLoopback(address)).toBe(true);
    }
    for (const address of ['10.0.0.5', '::ffff:10.0.0.5', '128.0.0.1', '::2', 'fe80::1', '0.0.0.0', '::']) {
      expect(isLoopback(address)).toBe(false);
    }
  });

  it('allows loopback always, others only when listed', () => {
    expect(isBroadcastAllowed('127.0.0.1')).toBe(true);
    expect(isBroadcastAllowed('::ffff:127.0.0.1', [])).toBe(true);
    expect(isBroadcastAllowed('::1', ['10.0.0.5'])).toBe(true);

    expect(isBroadcastAllowed('10.0.0.5')).toBe(false);
    expect(isBroadcastAllowed('10.0.0.5', ['10.0.0.6'])).toBe(false);
    expect(isBroadcastAllowed('10.0.0.5', ['10.0.0.5'])).toBe(true);
    // The socket shows IPv4 peers of a dual-stack server as IPv4-mapped IPv6.
    expect(isBroadcastAllowed('::ffff:10.0.0.5', ['10.0.0.5'])).toBe(true);
    expect(isBroadcastAllowed('10.0.0.5', ['::ffff:10.0.0.5'])).toBe(true);
    expect(isBroadcastAllowed('2001:DB8::1', ['2001:db8::1'])).toBe(true);
    expect(isBroadcastAllowed('fe80::1%eth0', ['fe80::1'])).toBe(true);
  });

  it('refuses an unknown remote address', () => {
    expect(isBroadcastAllowed(undefined)).toBe(false);
    expect(isBroadcastAllowed('', ['']) ).toBe(false);
  });

  it('normalizes addresses', () => {
    expect(normalizeAddress(' ::FFFF:192.168.1.2 ')).toBe('192.168.1.2');
    expect(normalizeAddress('FE80::1%lo0')).toBe('fe80::1');
  });

  it('checks `Authorization: Bearer <token>`', () => {
    expect(bearerTokenMatches('Bearer abc', 'abc')).toBe(true);
    expect(bearerTokenMatches('bearer abc', 'abc')).toBe(true);
    expect(bearerTokenMatches(['Bearer abc'], 'abc')).toBe(true);
    expect(bearerTokenMatches('Bearer abd', 'abc')).toBe(false);
    expect(bearerTokenMatches('Bearer abcd', 'abc')).toBe(false);
    expect(bearerTokenMatches('abc', 'abc')).toBe(false);
    expect(bearerTokenMatches('Basic abc', 'abc')).toBe(false);
    expect(bearerTokenMatches('Bearer ', 'abc')).toBe(false);
    expect(bearerTokenMatches(undefined, 'abc')).toBe(false);
  });
});
