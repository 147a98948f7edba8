import { apiKeyAuthenticator } from '../../lib/auth/api-key.authenticator.js';
import { jwtAuthenticator } from '../../lib/auth/jwt.authenticator.js';
import type { HandshakeRequest } from '../../lib/interfaces/socket-authenticator.interface.js';
import { handshake } from '../support/handshake-request.js';

// How the authenticators read the handshake: a value counts only as one non-empty string of the
// request's own; anything else is as if it were missing (the next source is read, the key function
// is not called with it).

const KEY = 'ak_test_8c1f0e9d2b7a4c3e5f6a1b0d9e8c7f2a';

/** An authenticator whose key function records every key it is asked about. */
function recording() {
  const asked: string[] = [];
  const auth = apiKeyAuthenticator({
    keys: (key) => {
      asked.push(key);
      return key === KEY ? 'service' : undefined;
    },
  });
  return { auth, asked };
}

describe('values read from the handshake', () => {
  it('skips an empty header and reads the query', async () => {
    const { auth, asked } = recording();
    expect(await auth.authenticate(handshake({ headers: { 'x-api-key': '' }, query: { api_key: KEY } }))).toEqual({
      user: 'service',
      subject: 'service',
    });
    expect(asked).toEqual([KEY]);
  });

  it('skips a header that is not one string', async () => {
    const { auth, asked } = recording();
    const request = handshake({ headers: { 'x-api-key': [KEY, KEY] }, query: { api_key: 'from-query' } });
    expect(await auth.authenticate(request)).toBeUndefined();
    expect(asked).toEqual(['from-query']);
  });

  it('never asks about an empty key: header, query or renewal', async () => {
    const { auth, asked } = recording();
    const empty = handshake({ headers: { 'x-api-key': '' }, query: { api_key: '' } });
    expect(await auth.authenticate(empty)).toBeUndefined();
    expect(await auth.renew!({ apiKey: '' }, undefined as never)).toBeUndefined();
    expect(asked).toEqual([]);
  });

  it('ignores query parameters inherited from a prototype, and a missing query', async () => {
    const { auth, asked } = recording();
    const inherited: HandshakeRequest = { ...handshake(), query: Object.create({ api_key: KEY }) };
    expect(await auth.authenticate(inherited)).toBeUndefined();
    const noQuery = { ...handshake(), query: undefined } as unknown as HandshakeRequest;
    expect(await auth.authenticate(noQuery)).toBeUndefined();
    expect(asked).toEqual([]);
  });

  it('passes over an empty token query parameter to the subprotocol', async () => {
    const secret = 'a-test-secret-of-at-least-32-bytes!!';
    const auth = jwtAuthenticator({ secret });
    const { SignJWT } = await import('jose');
    const token = await new SignJWT({ sub: 'ann' })
      .setProtectedHeader({ alg: 'HS256' })
      .sign(new TextEncoder().encode(secret));
    const request = handshake({ query: { token: '' }, headers: { 'sec-websocket-protocol': `bearer, ${token}` } });
    expect(await auth.authenticate(request)).toEqual({ user: { sub: 'ann' }, subject: 'ann' });
  });

  it.each([
    ['header', { header: 5 }],
    ['queryParam', { queryParam: 5 }],
  ])('refuses a %s name that is not a string at creation', (name, option) => {
    expect(() => apiKeyAuthenticator({ keys: [KEY], ...(option as object) })).toThrow(new RegExp(name));
  });
});
