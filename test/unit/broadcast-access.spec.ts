import { broadcastHostRule, isJsonContentType } from '../../lib/broadcast/broadcast-access.js';
import { bearerTokenMatches } from '../../lib/network/bearer-token.js';
import { isLoopback, normalizeAddress } from '../../lib/network/ip-addresses.js';

const isBroadcastAllowed = (address: string | undefined, allowedHosts?: string[]) =>
  broadcastHostRule(allowedHosts)(address);

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

  it('compares whole addresses: an entry that is a prefix of the caller’s address does not match', () => {
    expect(isBroadcastAllowed('10.0.0.15', ['10.0.0.1'])).toBe(false);
    expect(isBroadcastAllowed('10.0.0.1', ['10.0.0.15'])).toBe(false);
    expect(isBroadcastAllowed('10.0.0.1', ['10.0.0.1'])).toBe(true);
    expect(isBroadcastAllowed('2001:db8::15', ['2001:db8::1'])).toBe(false);
    expect(isBroadcastAllowed('2001:db8:0:0:0:0:0:1', ['2001:db8::1'])).toBe(true);
  });

  it('takes CIDR ranges', () => {
    const rule = broadcastHostRule(['10.1.0.0/16', '2001:db8::/32', '192.0.2.7/32']);
    for (const address of ['10.1.0.1', '10.1.255.254', '::ffff:10.1.2.3', '2001:db8:ffff::1', '192.0.2.7']) {
      expect(rule(address)).toBe(true);
    }
    for (const address of ['10.2.0.1', '10.0.255.255', '2001:db9::1', '192.0.2.8', '11.1.0.1']) {
      expect(rule(address)).toBe(false);
    }
    expect(broadcastHostRule(['0.0.0.0/0'])('203.0.113.9')).toBe(true);
  });

  it('fails at startup on an entry that is neither an address nor a range, naming it', () => {
    for (const entry of [
      'localhost',
      '10.0.0',
      '10.0.0.0/33',
      '10.0.0.0/',
      '10.0.0.0/8/8',
      '2001:db8::/129',
      '',
      '10.0.0.0/x',
    ]) {
      expect(() => broadcastHostRule([entry])).toThrow(`'${entry}' is neither an IP address nor a CIDR`);
    }
  });

  it('refuses an unknown remote address', () => {
    expect(isBroadcastAllowed(undefined)).toBe(false);
    expect(isBroadcastAllowed('', ['10.0.0.1'])).toBe(false);
    expect(isBroadcastAllowed('not an address', ['10.0.0.1'])).toBe(false);
  });

  it('recognises `Content-Type: application/json` only', () => {
    for (const type of [
      'application/json',
      'Application/JSON',
      'application/json; charset=utf-8',
      ' application/json ;x=y',
    ]) {
      expect(isJsonContentType(type)).toBe(true);
    }
    for (const type of [
      undefined,
      '',
      'text/plain',
      'application/x-www-form-urlencoded',
      'multipart/form-data; boundary=x',
      'application/jsonp',
      'application/json-seq',
      'text/json',
    ]) {
      expect(isJsonContentType(type)).toBe(false);
    }
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
