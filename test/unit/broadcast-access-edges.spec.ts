import { broadcastHostRule } from '../../lib/broadcast/broadcast-access.js';
import { bearerTokenMatches } from '../../lib/network/bearer-token.js';

const isBroadcastAllowed = (address: string, allowedHosts: string[]) => broadcastHostRule(allowedHosts)(address);

// IPv4-mapped IPv6 addresses are their IPv4 address only when they are exactly one.
describe('isBroadcastAllowed with IPv4-mapped addresses', () => {
  it('maps every octet, of one to three digits', () => {
    expect(isBroadcastAllowed('::ffff:10.0.10.15', ['10.0.10.15'])).toBe(true);
    expect(isBroadcastAllowed('::ffff:192.168.100.254', ['192.168.100.254'])).toBe(true);
  });

  it.each([
    ['an address that only ends like a mapped one', '2001:db8::ffff:10.0.0.5'],
    ['a mapped prefix followed by more', '::ffff:10.0.0.5.6'],
  ])('does not map %s', (_name, address) => {
    expect(isBroadcastAllowed(address, ['10.0.0.5'])).toBe(false);
  });
});

// The broadcast bridge's token check, at its edges: the scheme, the blanks around the token, the
// whole token and nothing more, and only the first of repeated headers.
describe('bearerTokenMatches', () => {
  it.each([
    ['one space', 'Bearer s3cret'],
    ['several blanks', 'Bearer  \t s3cret'],
    ['a tab', 'Bearer\ts3cret'],
    ['trailing blanks', 'Bearer s3cret \t '],
    ['the scheme in capitals', 'BEARER s3cret'],
  ])('accepts the token after %s', (_name, header) => {
    expect(bearerTokenMatches(header, 's3cret')).toBe(true);
  });

  it.each([
    ['no blank after the scheme', 'Bearers3cret'],
    ['something before the scheme', 'x Bearer s3cret'],
    ['leading blanks', ' Bearer s3cret'],
    ['a second word', 'Bearer s3cret extra'],
    ['a prefix of the token', 'Bearer s3cre'],
    ['the token and more', 'Bearer s3crett'],
    ['another case of the token', 'Bearer S3CRET'],
    ['the token alone', 's3cret'],
    ['an empty header', ''],
  ])('refuses %s', (_name, header) => {
    expect(bearerTokenMatches(header, 's3cret')).toBe(false);
  });

  it('reads only the first of repeated headers', () => {
    expect(bearerTokenMatches(['Bearer s3cret', 'Bearer other'], 's3cret')).toBe(true);
    expect(bearerTokenMatches(['Bearer other', 'Bearer s3cret'], 's3cret')).toBe(false);
    expect(bearerTokenMatches([], 's3cret')).toBe(false);
  });
});
