import { jest } from '@jest/globals';
import { createHash } from 'node:crypto';
import { createRequire } from 'node:module';
import type { ApiKeyAuthenticatorOptions } from '../../lib/auth/api-key-authenticator-options.interface.js';
import type { SocketAuthenticator } from '../../lib/interfaces/socket-authenticator.interface.js';
import { handshake } from '../support/handshake-request.js';

// node:crypto with timingSafeEqual spied on, to see the constant-time comparison at work.
const actualCrypto = createRequire(import.meta.url)('node:crypto') as typeof import('node:crypto');
const timingSafeEqual = jest.fn(actualCrypto.timingSafeEqual);
jest.unstable_mockModule('node:crypto', () => ({ ...actualCrypto, default: actualCrypto, timingSafeEqual }));
const { apiKeyAuthenticator, apiKeyFingerprint } = await import('../../lib/auth/api-key.authenticator.js');

const KEY_A = 'ak_live_3f9c2a7e1b8d4c6f9a0e2b5d7c1f3a8e';
const KEY_B = 'ak_live_b27d9e4f0c1a6b3e8d5f2a9c7e0b4d1f';
const KEY_C = 'ak_live_0e5a8c3f7b2d9e1a4c6f8b0d3e7a5c2b';

const inHeader = (key: string, header = 'x-api-key') => handshake({ headers: { [header]: key } });
const inQuery = (key: string | string[], param = 'api_key') => handshake({ query: { [param]: key } });
const renew = <User>(auth: SocketAuthenticator<User>, credentials: unknown) =>
  auth.renew!(credentials, undefined as never);

beforeEach(() => timingSafeEqual.mockClear());

describe('apiKeyAuthenticator with a list of keys', () => {
  const auth = () => apiKeyAuthenticator({ keys: [KEY_A, KEY_B] });

  it('accepts a listed key from the x-api-key header, with its fingerprint as user and no expiry', async () => {
    const identity = await auth().authenticate(inHeader(KEY_B));
    expect(identity).toEqual({ user: apiKeyFingerprint(KEY_B), subject: apiKeyFingerprint(KEY_B) });
    expect(identity).not.toHaveProperty('expiresAt');
  });

  it('never makes the key the user: the fingerprint is a short SHA-256 prefix', async () => {
    const identity = await auth().authenticate(inHeader(KEY_A));
    const sha256 = createHash('sha256').update(KEY_A).digest('hex');
    expect(identity?.user).toBe(`sha256:${sha256.slice(0, 16)}`);
    expect(identity?.user).not.toContain(KEY_A);
    expect(JSON.stringify(identity)).not.toContain(KEY_A);
    // Each key has its own fingerprint.
    expect((await auth().authenticate(inHeader(KEY_B)))?.user).not.toBe(identity?.user);
  });

  it('accepts a listed key from the api_key query parameter', async () => {
    expect((await auth().authenticate(inQuery(KEY_A)))?.user).toBe(apiKeyFingerprint(KEY_A));
  });

  it('refuses an unknown key, in the header or the query', async () => {
    expect(await auth().authenticate(inHeader(KEY_C))).toBeUndefined();
    expect(await auth().authenticate(inQuery(KEY_C))).toBeUndefined();
  });

  it.each([
    ['a prefix of a key', KEY_A.slice(0, -1)],
    ['a key with one more character', `${KEY_A}x`],
    ['a key in another case', KEY_A.toUpperCase()],
    ['a key with blanks around', ` ${KEY_A} `],
    ['two keys', `${KEY_A},${KEY_B}`],
    ['a single character', 'a'],
    ['a very long string', 'k'.repeat(64 * 1024)],
    ['unicode', 'ключ-🔑'],
  ])('refuses %s, without throwing', async (_name, key) => {
    await expect(auth().authenticate(inHeader(key))).resolves.toBeUndefined();
    await expect(auth().authenticate(inQuery(key))).resolves.toBeUndefined();
  });

  it('gives undefined when the request has no key', async () => {
    expect(await auth().authenticate(handshake())).toBeUndefined();
    expect(await auth().authenticate(inHeader(''))).toBeUndefined();
    expect(await auth().authenticate(inQuery(''))).toBeUndefined();
    expect(await auth().authenticate(inHeader(KEY_A, 'authorization'))).toBeUndefined();
    expect(await auth().authenticate(inQuery(KEY_A, 'key'))).toBeUndefined();
  });

  it('ignores a repeated query parameter', async () => {
    expect(await auth().authenticate(inQuery([KEY_A, KEY_A]))).toBeUndefined();
  });

  it('takes the header when the request has both: a wrong header is not rescued by the query', async () => {
    const both = (header: string, query: string) =>
      auth().authenticate(handshake({ headers: { 'x-api-key': header }, query: { api_key: query } }));
    expect((await both(KEY_A, KEY_C))?.user).toBe(apiKeyFingerprint(KEY_A));
    expect(await both(KEY_C, KEY_A)).toBeUndefined();
  });

  it('compares every key, in constant time, over equal-length digests', async () => {
    const three = apiKeyAuthenticator({ keys: [KEY_A, 'short', 'x'.repeat(500)] });
    for (const sent of [KEY_A, 'short', 'x'.repeat(500), 'nope', 'y'.repeat(10_000)]) {
      timingSafeEqual.mockClear();
      await three.authenticate(inHeader(sent));
      // All three keys, even when the first one matched, each over two 32-byte SHA-256 digests.
      expect(timingSafeEqual).toHaveBeenCalledTimes(3);
      for (const [a, b] of timingSafeEqual.mock.calls) {
        expect((a as Buffer).length).toBe(32);
        expect((b as Buffer).length).toBe(32);
      }
    }
    expect(timingSafeEqual.mock.results.every((result) => result.type === 'return')).toBe(true);
  });

  it('renews with { apiKey }', async () => {
    expect(await renew(auth(), { apiKey: KEY_B })).toEqual({
      user: apiKeyFingerprint(KEY_B),
      subject: apiKeyFingerprint(KEY_B),
    });
    expect(timingSafeEqual).toHaveBeenCalled();
    expect(await renew(auth(), { apiKey: KEY_C })).toBeUndefined();
  });

  it.each([
    [undefined],
    [null],
    [KEY_A],
    [{}],
    [{ apiKey: '' }],
    [{ apiKey: 1 }],
    [{ key: KEY_A }],
    [{ token: KEY_A }],
  ])('renew gives undefined for credentials %p', async (credentials) => {
    await expect(renew(auth(), credentials)).resolves.toBeUndefined();
  });

  it('reads the list once, at creation', async () => {
    const keys = [KEY_A];
    const snapshot = apiKeyAuthenticator({ keys });
    keys.push(KEY_B);
    keys[0] = KEY_C;
    expect(await snapshot.authenticate(inHeader(KEY_A))).toBeDefined();
    expect(await snapshot.authenticate(inHeader(KEY_B))).toBeUndefined();
  });
});

describe('apiKeyAuthenticator with a Map or an object', () => {
  interface Service {
    service: string;
  }
  const billing: Service = { service: 'billing' };
  const reports: Service = { service: 'reports' };

  it('gives the Map entry of the key as user', async () => {
    const auth: SocketAuthenticator<Service> = apiKeyAuthenticator({
      keys: new Map([
        [KEY_A, billing],
        [KEY_B, reports],
      ]),
    });
    expect((await auth.authenticate(inHeader(KEY_B)))?.user).toBe(reports);
    expect((await auth.authenticate(inQuery(KEY_A)))?.user).toBe(billing);
    expect(await auth.authenticate(inHeader(KEY_C))).toBeUndefined();
    expect(timingSafeEqual).toHaveBeenCalledTimes(6);
    expect((await renew(auth, { apiKey: KEY_A }))?.user).toBe(billing);
  });

  it('gives the object entry of the key as user', async () => {
    const auth = apiKeyAuthenticator({ keys: { [KEY_A]: billing, [KEY_B]: reports } });
    expect((await auth.authenticate(inHeader(KEY_A)))?.user).toBe(billing);
    expect((await auth.authenticate(inQuery(KEY_B)))?.user).toBe(reports);
    expect(await auth.authenticate(inHeader(KEY_C))).toBeUndefined();
    expect((await renew(auth, { apiKey: KEY_B }))?.user).toBe(reports);
  });

  it('never matches names of the object prototype', async () => {
    const auth = apiKeyAuthenticator({ keys: { [KEY_A]: 'ann' } });
    for (const key of ['__proto__', 'constructor', 'toString', 'hasOwnProperty', 'valueOf']) {
      expect(await auth.authenticate(inHeader(key))).toBeUndefined();
      expect(await renew(auth, { apiKey: key })).toBeUndefined();
    }
  });

  it('reads the Map once, at creation', async () => {
    const keys = new Map([[KEY_A, billing]]);
    const auth = apiKeyAuthenticator({ keys });
    keys.set(KEY_B, reports);
    keys.delete(KEY_A);
    expect((await auth.authenticate(inHeader(KEY_A)))?.user).toBe(billing);
    expect(await auth.authenticate(inHeader(KEY_B))).toBeUndefined();
  });

  it('accepts keys of different lengths without throwing', async () => {
    const auth = apiKeyAuthenticator({
      keys: new Map([
        ['k', 'one'],
        ['k'.repeat(1000), 'thousand'],
      ]),
    });
    expect((await auth.authenticate(inHeader('k')))?.user).toBe('one');
    expect((await auth.authenticate(inHeader('k'.repeat(1000))))?.user).toBe('thousand');
    expect(await auth.authenticate(inHeader('kk'))).toBeUndefined();
  });
});

describe('apiKeyAuthenticator subjects (what a renewal must keep)', () => {
  it('has no subject for a user that is not a string, unless the subject option names one', async () => {
    const users = new Map([[KEY_A, { id: 7 }]]);
    expect(await apiKeyAuthenticator({ keys: users }).authenticate(inHeader(KEY_A))).toEqual({ user: { id: 7 } });
    const named = apiKeyAuthenticator({ keys: users, subject: (user) => `user-${user.id}` });
    expect(await named.authenticate(inHeader(KEY_A))).toEqual({ user: { id: 7 }, subject: 'user-7' });
    expect(await renew(named, { apiKey: KEY_A })).toEqual({ user: { id: 7 }, subject: 'user-7' });
  });

  it('says allowSubjectChange on renewals only when configured', async () => {
    const open = apiKeyAuthenticator({ keys: [KEY_A], allowSubjectChange: true });
    expect(await renew(open, { apiKey: KEY_A })).toMatchObject({ allowSubjectChange: true });
    expect(await open.authenticate(inHeader(KEY_A))).not.toHaveProperty('allowSubjectChange');
    expect(await renew(apiKeyAuthenticator({ keys: [KEY_A] }), { apiKey: KEY_A })).not.toHaveProperty(
      'allowSubjectChange',
    );
    expect(await renew(open, { apiKey: KEY_C })).toBeUndefined();
  });
});

describe('apiKeyAuthenticator with a function', () => {
  it('gives what the function returns for the key sent', async () => {
    const lookUp = jest.fn((key: string) => (key === KEY_A ? { id: 7 } : undefined));
    const auth = apiKeyAuthenticator({ keys: lookUp });
    expect((await auth.authenticate(inHeader(KEY_A)))?.user).toEqual({ id: 7 });
    expect(lookUp).toHaveBeenLastCalledWith(KEY_A);
    expect(await auth.authenticate(inQuery(KEY_B))).toBeUndefined();
    expect(lookUp).toHaveBeenLastCalledWith(KEY_B);
    expect((await renew(auth, { apiKey: KEY_A }))?.user).toEqual({ id: 7 });
  });

  it('awaits an async function', async () => {
    const auth = apiKeyAuthenticator({
      keys: async (key: string) => {
        await new Promise((resolve) => setTimeout(resolve, 5));
        return key === KEY_B ? 'bob' : undefined;
      },
    });
    expect(await auth.authenticate(inHeader(KEY_B))).toEqual({ user: 'bob', subject: 'bob' });
    expect(await auth.authenticate(inHeader(KEY_A))).toBeUndefined();
    expect(await renew(auth, { apiKey: KEY_B })).toEqual({ user: 'bob', subject: 'bob' });
  });

  it('refuses a key for which the function gives null', async () => {
    const auth = apiKeyAuthenticator<string>({ keys: async () => null });
    expect(await auth.authenticate(inHeader(KEY_A))).toBeUndefined();
  });

  it('does not call the function when there is no key', async () => {
    const lookUp = jest.fn(() => 'x');
    const auth = apiKeyAuthenticator({ keys: lookUp });
    expect(await auth.authenticate(handshake())).toBeUndefined();
    expect(await renew(auth, {})).toBeUndefined();
    expect(lookUp).not.toHaveBeenCalled();
  });

  it('lets what the function throws through (so it may throw an HttpException)', async () => {
    const auth = apiKeyAuthenticator({
      keys: async () => {
        throw new Error('store down');
      },
    });
    await expect(auth.authenticate(inHeader(KEY_A))).rejects.toThrow('store down');
  });
});

describe('apiKeyAuthenticator sources', () => {
  it('reads the header named by `header`, in any case', async () => {
    const auth = apiKeyAuthenticator({ keys: [KEY_A], header: 'X-Device-Key' });
    expect(await auth.authenticate(inHeader(KEY_A, 'x-device-key'))).toBeDefined();
    expect(await auth.authenticate(inHeader(KEY_A))).toBeUndefined();
  });

  it('reads the query parameter named by `queryParam`', async () => {
    const auth = apiKeyAuthenticator({ keys: [KEY_A], queryParam: 'key' });
    expect(await auth.authenticate(inQuery(KEY_A, 'key'))).toBeDefined();
    expect(await auth.authenticate(inQuery(KEY_A))).toBeUndefined();
  });

  it('reads no query parameter with queryParam: false, and no header with header: false', async () => {
    const headerOnly = apiKeyAuthenticator({ keys: [KEY_A], queryParam: false });
    expect(await headerOnly.authenticate(inQuery(KEY_A))).toBeUndefined();
    expect(await headerOnly.authenticate(inHeader(KEY_A))).toBeDefined();
    const queryOnly = apiKeyAuthenticator({ keys: [KEY_A], header: false });
    expect(await queryOnly.authenticate(inHeader(KEY_A))).toBeUndefined();
    expect(await queryOnly.authenticate(inQuery(KEY_A))).toBeDefined();
  });
});

describe('apiKeyAuthenticator options', () => {
  it.each<[string, ApiKeyAuthenticatorOptions<unknown>, RegExp]>([
    ['an empty list', { keys: [] }, /empty/],
    ['an empty Map', { keys: new Map() }, /empty/],
    ['an empty object', { keys: {} }, /empty/],
    ['an empty key', { keys: [KEY_A, ''] }, /key #1 .*non-empty string/],
    ['an empty key from splitting an unset variable', { keys: ''.split(',') }, /key #0/],
    // eslint-disable-next-line @typescript-eslint/no-unnecessary-type-assertion -- it.each's typed overload needs it
    ['a key that is not a string', { keys: [KEY_A, 42 as unknown as string] }, /key #1/],
    ['a Map entry without a user', { keys: new Map([[KEY_A, undefined]]) }, /no user/],
    ['an object entry without a user', { keys: { [KEY_A]: null } }, /no user/],
    ['keys that are not keys', { keys: 'KEY' as never }, /must be a list/],
    ['an empty header name', { keys: [KEY_A], header: '' }, /header/],
    ['an empty query parameter name', { keys: [KEY_A], queryParam: '' }, /queryParam/],
    ['no source at all', { keys: [KEY_A], header: false, queryParam: false }, /both be false/],
  ])('throws a TypeError at creation for %s', (_name, options, message) => {
    expect(() => apiKeyAuthenticator(options)).toThrow(TypeError);
    expect(() => apiKeyAuthenticator(options)).toThrow(message);
  });

  it('does not put keys in its errors', () => {
    let message = '';
    try {
      apiKeyAuthenticator({ keys: new Map([[KEY_A, undefined]]) });
    } catch (error) {
      message = (error as Error).message;
    }
    expect(message).toMatch(/no user/);
    expect(message).not.toContain(KEY_A);
  });

  it('types a list as string users, and refuses a list for other user types', () => {
    const list: SocketAuthenticator<string> = apiKeyAuthenticator({ keys: [KEY_A] });
    const map: SocketAuthenticator<{ id: number }> = apiKeyAuthenticator({ keys: new Map([[KEY_A, { id: 1 }]]) });
    // @ts-expect-error: a list gives fingerprints, not { id: number } users
    const wrong = apiKeyAuthenticator<{ id: number }>({ keys: [KEY_A] });
    expect([list, map, wrong].every((auth) => typeof auth.authenticate === 'function')).toBe(true);
  });
});
