import { jest } from '@jest/globals';
import { createHmac, createPublicKey, createSecretKey, generateKeyPairSync } from 'node:crypto';
import {
  SignJWT,
  UnsecuredJWT,
  base64url,
  exportSPKI,
  generateKeyPair,
  type CryptoKey,
  type JWTPayload,
  type KeyObject,
} from 'jose';
import { jwtAuthenticator } from '../../lib/auth/jwt.authenticator.js';
import type { JwtAuthenticatorOptions } from '../../lib/auth/jwt-authenticator-options.interface.js';
import type { SocketAuthenticator, SocketIdentity } from '../../lib/interfaces/socket-authenticator.interface.js';
import { handshake } from '../support/handshake-request.js';

const SECRET = 'test-secret-0123456789-abcdefghijklmnopqrstuvwxyz';
const OTHER_SECRET = 'another-secret-0123456789-abcdefghijklmnopqrstuvw';
const encode = (text: string): Uint8Array => new TextEncoder().encode(text);
const nowSec = (): number => Math.floor(Date.now() / 1000);

interface SignOptions {
  alg?: string;
  key?: Uint8Array | CryptoKey | KeyObject;
  /** Seconds from now; `null`: no `exp`. Default +1 h. */
  expIn?: number | null;
  nbfIn?: number;
  issuer?: string;
  audience?: string | string[];
}

async function sign(claims: JWTPayload = { sub: 'ann' }, options: SignOptions = {}): Promise<string> {
  const jwt = new SignJWT(claims).setProtectedHeader({ alg: options.alg ?? 'HS256' }).setIssuedAt();
  const expIn = options.expIn === undefined ? 3600 : options.expIn;
  if (expIn !== null) jwt.setExpirationTime(nowSec() + expIn);
  if (options.nbfIn !== undefined) jwt.setNotBefore(nowSec() + options.nbfIn);
  if (options.issuer !== undefined) jwt.setIssuer(options.issuer);
  if (options.audience !== undefined) jwt.setAudience(options.audience);
  return jwt.sign(options.key ?? encode(SECRET));
}

/** A token of any payload text (numbers JSON can hold but JavaScript cannot), HS256 with SECRET. */
function signedRaw(payloadJson: string): string {
  const header = base64url.encode(JSON.stringify({ alg: 'HS256' }));
  const payload = base64url.encode(payloadJson);
  const signature = base64url.encode(createHmac('sha256', SECRET).update(`${header}.${payload}`).digest());
  return `${header}.${payload}.${signature}`;
}

const bearer = (token: string) => handshake({ headers: { authorization: `Bearer ${token}` } });
const hs = (options: Partial<JwtAuthenticatorOptions> = {}) => jwtAuthenticator({ secret: SECRET, ...options });

async function authenticate<User>(
  auth: SocketAuthenticator<User>,
  token: string,
): Promise<SocketIdentity<User> | undefined> {
  return auth.authenticate(bearer(token));
}

describe('jwtAuthenticator with an HMAC secret', () => {
  describe('token sources', () => {
    it('reads the Authorization: Bearer header, giving the payload as user and exp in ms', async () => {
      const token = await sign({ sub: 'ann', role: 'admin' });
      const identity = await hs().authenticate(bearer(token));
      expect(identity?.user).toMatchObject({ sub: 'ann', role: 'admin' });
      expect(identity?.expiresAt).toBe((identity?.user.exp as number) * 1000);
      expect(identity?.expiresAt).toBeGreaterThan(Date.now());
    });

    it('accepts the scheme in any case and surrounding blanks', async () => {
      const token = await sign();
      for (const authorization of [`bearer ${token}`, `BEARER  ${token} `, `Bearer\t${token}`]) {
        expect((await hs().authenticate(handshake({ headers: { authorization } })))?.user.sub).toBe('ann');
      }
    });

    it('reads the `token` query parameter', async () => {
      const token = await sign({ sub: 'bob' });
      const identity = await hs().authenticate(handshake({ query: { token } }));
      expect(identity?.user.sub).toBe('bob');
    });

    it('reads the query parameter named by queryParam, and then not `token`', async () => {
      const token = await sign({ sub: 'bob' });
      const auth = hs({ queryParam: 'access_token' });
      expect((await auth.authenticate(handshake({ query: { access_token: token } })))?.user.sub).toBe('bob');
      expect(await auth.authenticate(handshake({ query: { token } }))).toBeUndefined();
    });

    it('reads the token offered after the `bearer` subprotocol', async () => {
      const token = await sign({ sub: 'cat' });
      const identity = await hs().authenticate(
        handshake({ headers: { 'sec-websocket-protocol': `bearer, ${token}` } }),
      );
      expect(identity?.user.sub).toBe('cat');
      // Without blanks, and with other subprotocols offered around it.
      const other = await hs().authenticate(
        handshake({ headers: { 'sec-websocket-protocol': `json.v1,bearer,${token},chat` } }),
      );
      expect(other?.user.sub).toBe('cat');
    });

    it('does not take a subprotocol list without `bearer`, or with nothing after it', async () => {
      const token = await sign();
      for (const protocols of [token, `chat, ${token}`, 'bearer', 'bearer, ', `${token}, bearer`]) {
        expect(
          await hs().authenticate(handshake({ headers: { 'sec-websocket-protocol': protocols } })),
        ).toBeUndefined();
      }
    });

    it('takes the first source that has a token: header, then query, then subprotocol', async () => {
      const good = await sign({ sub: 'good' });
      const bad = await sign({ sub: 'bad' }, { key: encode(OTHER_SECRET) });
      const both = (authorization: string, query: string, protocol: string) =>
        hs().authenticate(
          handshake({
            headers: { authorization: `Bearer ${authorization}`, 'sec-websocket-protocol': `bearer, ${protocol}` },
            query: { token: query },
          }),
        );
      expect((await both(good, bad, bad))?.user.sub).toBe('good');
      // The header's token is the one verified: a valid one elsewhere does not rescue it.
      expect(await both(bad, good, good)).toBeUndefined();
      const queryFirst = await hs().authenticate(
        handshake({ headers: { 'sec-websocket-protocol': `bearer, ${bad}` }, query: { token: good } }),
      );
      expect(queryFirst?.user.sub).toBe('good');
    });

    it('passes over an Authorization header of another scheme', async () => {
      const token = await sign({ sub: 'q' });
      const identity = await hs().authenticate(
        handshake({ headers: { authorization: 'Basic YW5uOnB3' }, query: { token } }),
      );
      expect(identity?.user.sub).toBe('q');
    });

    it('gives undefined when no source has a token', async () => {
      const auth = hs();
      expect(await auth.authenticate(handshake())).toBeUndefined();
      expect(await auth.authenticate(handshake({ headers: { authorization: 'Bearer' } }))).toBeUndefined();
      expect(await auth.authenticate(handshake({ headers: { authorization: 'Bearer ' } }))).toBeUndefined();
      expect(await auth.authenticate(handshake({ headers: { authorization: 'Basic abc' } }))).toBeUndefined();
      expect(await auth.authenticate(handshake({ query: { token: '' } }))).toBeUndefined();
      expect(await auth.authenticate(handshake({ query: { other: 'x' } }))).toBeUndefined();
    });

    it('ignores a repeated query parameter (ambiguous)', async () => {
      const token = await sign();
      expect(await hs().authenticate(handshake({ query: { token: [token, token] } }))).toBeUndefined();
    });
  });

  describe('time claims', () => {
    it('refuses an expired token', async () => {
      const token = await sign({ sub: 'ann' }, { expIn: -60 });
      expect(await authenticate(hs(), token)).toBeUndefined();
    });

    it('refuses a token that is not valid yet (nbf)', async () => {
      const token = await sign({ sub: 'ann' }, { nbfIn: 60 });
      expect(await authenticate(hs(), token)).toBeUndefined();
      // ...and accepts one whose nbf is past.
      const ok = await sign({ sub: 'ann' }, { nbfIn: -60 });
      expect((await authenticate(hs(), ok))?.user.sub).toBe('ann');
    });

    it('gives expiresAt = exp * 1000 exactly', async () => {
      const exp = nowSec() + 1234;
      const token = await new SignJWT({ sub: 'ann' })
        .setProtectedHeader({ alg: 'HS256' })
        .setExpirationTime(exp)
        .sign(encode(SECRET));
      const identity = await authenticate(hs(), token);
      expect(identity).toEqual({ user: { sub: 'ann', exp }, subject: 'ann', expiresAt: exp * 1000 });
    });

    it('allows clockToleranceSec of leeway on exp and nbf, and none by default', async () => {
      const expired = await sign({ sub: 'ann' }, { expIn: -5 });
      const early = await sign({ sub: 'ann' }, { nbfIn: 5 });
      expect(await authenticate(hs(), expired)).toBeUndefined();
      expect(await authenticate(hs(), early)).toBeUndefined();
      const tolerant = hs({ clockToleranceSec: 30 });
      expect((await authenticate(tolerant, expired))?.user.sub).toBe('ann');
      expect((await authenticate(tolerant, early))?.user.sub).toBe('ann');
      // Past the tolerance: refused again.
      expect(await authenticate(tolerant, await sign({ sub: 'ann' }, { expIn: -60 }))).toBeUndefined();
    });

    it('gives expiresAt = (exp + clockToleranceSec) * 1000: a token accepted within the tolerance is not expired at once', async () => {
      const exp = nowSec() - 5;
      const token = await new SignJWT({ sub: 'ann' })
        .setProtectedHeader({ alg: 'HS256' })
        .setExpirationTime(exp)
        .sign(encode(SECRET));
      const identity = await authenticate(hs({ clockToleranceSec: 30 }), token);
      expect(identity?.expiresAt).toBe((exp + 30) * 1000);
      expect(identity?.expiresAt).toBeGreaterThan(Date.now() + 20_000);
      const renewed = await hs({ clockToleranceSec: 30 }).renew!({ token }, undefined as never);
      expect(renewed?.expiresAt).toBe((exp + 30) * 1000);
    });

    it.each([
      ['1e400 (Infinity)', '1e400'],
      ['1e306 (Infinity once in ms)', '1e306'],
    ])(
      'refuses a correctly signed token whose exp is %s: no Infinity reaches the wire or a timer',
      async (_name, exp) => {
        const token = signedRaw(`{"sub":"ann","exp":${exp}}`);
        expect(await authenticate(hs(), token)).toBeUndefined();
        expect(await hs().renew!({ token }, undefined as never)).toBeUndefined();
      },
    );

    it('accepts a token without exp (no expiresAt) unless requireExpiry', async () => {
      const token = await sign({ sub: 'ann' }, { expIn: null });
      const identity = await authenticate(hs(), token);
      expect(identity?.user.sub).toBe('ann');
      expect(identity?.expiresAt).toBeUndefined();
      expect(await authenticate(hs({ requireExpiry: true }), token)).toBeUndefined();
      const withExp = await sign({ sub: 'ann' });
      expect((await authenticate(hs({ requireExpiry: true }), withExp))?.user.sub).toBe('ann');
    });
  });

  describe('signature and algorithm', () => {
    it('refuses a token signed with another secret', async () => {
      const token = await sign({ sub: 'ann' }, { key: encode(OTHER_SECRET) });
      expect(await authenticate(hs(), token)).toBeUndefined();
    });

    it('refuses a token whose payload was changed after signing', async () => {
      const [header, , signature] = (await sign({ sub: 'ann', role: 'user' })).split('.');
      const forged = base64url.encode(JSON.stringify({ sub: 'ann', role: 'admin', exp: nowSec() + 3600 }));
      expect(await authenticate(hs(), `${header}.${forged}.${signature}`)).toBeUndefined();
    });

    it('refuses HS384/HS512 tokens unless algorithms allows them (default HS256 only)', async () => {
      const token = await sign({ sub: 'ann' }, { alg: 'HS512' });
      expect(await authenticate(hs(), token)).toBeUndefined();
      expect((await authenticate(hs({ algorithms: ['HS512'] }), token))?.user.sub).toBe('ann');
      const hs256 = await sign({ sub: 'ann' });
      expect(await authenticate(hs({ algorithms: ['HS512'] }), hs256)).toBeUndefined();
    });

    it('refuses unsigned tokens (alg none), made by jose or by hand', async () => {
      const unsecured = new UnsecuredJWT({ sub: 'ann' }).setExpirationTime('1h').encode();
      expect(unsecured.split('.')[2]).toBe('');
      expect(await authenticate(hs(), unsecured)).toBeUndefined();
      // A valid token re-labelled alg none, with or without its signature.
      const [, payload, signature] = (await sign()).split('.');
      const none = base64url.encode(JSON.stringify({ alg: 'none', typ: 'JWT' }));
      expect(await authenticate(hs(), `${none}.${payload}.`)).toBeUndefined();
      expect(await authenticate(hs(), `${none}.${payload}.${signature}`)).toBeUndefined();
    });

    it('accepts a secret given as bytes, copied at creation', async () => {
      const bytes = encode(SECRET);
      const auth = jwtAuthenticator({ secret: bytes });
      bytes.fill(0);
      expect((await authenticate(auth, await sign()))?.user.sub).toBe('ann');
    });
  });

  describe('issuer and audience', () => {
    it('checks iss when issuer is set', async () => {
      const auth = hs({ issuer: 'https://id.example.com/' });
      expect(
        (await authenticate(auth, await sign({ sub: 'ann' }, { issuer: 'https://id.example.com/' })))?.user.iss,
      ).toBe('https://id.example.com/');
      expect(
        await authenticate(auth, await sign({ sub: 'ann' }, { issuer: 'https://evil.example.com/' })),
      ).toBeUndefined();
      expect(await authenticate(auth, await sign({ sub: 'ann' }))).toBeUndefined();
    });

    it('accepts any of several issuers', async () => {
      const auth = hs({ issuer: ['a', 'b'] });
      expect(await authenticate(auth, await sign({}, { issuer: 'b' }))).toBeDefined();
      expect(await authenticate(auth, await sign({}, { issuer: 'c' }))).toBeUndefined();
    });

    it('checks aud when audience is set', async () => {
      const auth = hs({ audience: 'socket-api' });
      expect((await authenticate(auth, await sign({ sub: 'ann' }, { audience: 'socket-api' })))?.user.aud).toBe(
        'socket-api',
      );
      expect(await authenticate(auth, await sign({ sub: 'ann' }, { audience: ['web', 'socket-api'] }))).toBeDefined();
      expect(await authenticate(auth, await sign({ sub: 'ann' }, { audience: 'other-api' }))).toBeUndefined();
      expect(await authenticate(auth, await sign({ sub: 'ann' }))).toBeUndefined();
    });

    it('does not check iss or aud when not configured', async () => {
      const token = await sign({ sub: 'ann' }, { issuer: 'anyone', audience: 'anything' });
      expect((await authenticate(hs(), token))?.user).toMatchObject({ iss: 'anyone', aud: 'anything' });
    });
  });

  describe('malformed tokens', () => {
    it.each([
      ['garbage', 'not-a-jwt'],
      ['three empty parts', '..'],
      ['four parts', 'a.b.c.d'],
      ['non-base64url parts', '@@@.###.$$$'],
      ['a header that is not JSON', `${base64url.encode('{nope')}.${base64url.encode('{}')}.abc`],
      ['a header without alg', `${base64url.encode('{"typ":"JWT"}')}.${base64url.encode('{}')}.abc`],
      ['a payload that is not JSON', `${base64url.encode('{"alg":"HS256"}')}.${base64url.encode('nope')}.abc`],
      ['a very long string', 'a'.repeat(100_000)],
      ['unicode', 'ü.ö.ä'],
    ])('gives undefined for %s', async (_name, token) => {
      expect(await authenticate(hs(), token)).toBeUndefined();
      expect(await hs().authenticate(handshake({ query: { token } }))).toBeUndefined();
    });

    it('refuses a correctly signed token whose payload is not a JSON object', async () => {
      expect(await authenticate(hs(), signedRaw('[1,2,3]'))).toBeUndefined();
    });

    it('logs nothing, whatever the failure', async () => {
      const spies = (['log', 'info', 'warn', 'error', 'debug'] as const).map((method) =>
        jest.spyOn(console, method).mockImplementation(() => undefined),
      );
      try {
        await authenticate(hs(), 'not-a-jwt');
        await authenticate(hs(), await sign({}, { key: encode(OTHER_SECRET) }));
        await authenticate(hs(), await sign({}, { expIn: -60 }));
        await hs().renew!({ token: 'x' }, undefined as never);
        for (const spy of spies) expect(spy).not.toHaveBeenCalled();
      } finally {
        for (const spy of spies) spy.mockRestore();
      }
    });
  });

  describe('subject', () => {
    it('is the sub claim when it is a non-empty string, else absent', async () => {
      expect((await authenticate(hs(), await sign({ sub: 'ann' })))?.subject).toBe('ann');
      expect(await authenticate(hs(), await sign({ name: 'ann' }))).not.toHaveProperty('subject');
      expect(await authenticate(hs(), await sign({ sub: '' }))).not.toHaveProperty('subject');
    });

    it('renewals say allowSubjectChange only when configured', async () => {
      const token = await sign({ sub: 'ann' });
      expect(await hs().renew!({ token }, undefined as never)).not.toHaveProperty('allowSubjectChange');
      expect(await hs({ allowSubjectChange: true }).renew!({ token }, undefined as never)).toMatchObject({
        allowSubjectChange: true,
      });
      expect(await hs({ allowSubjectChange: true }).authenticate(bearer(token))).not.toHaveProperty(
        'allowSubjectChange',
      );
    });
  });

  describe('renew', () => {
    it('verifies { token } the same way', async () => {
      const auth = hs({ issuer: 'me' });
      const token = await sign({ sub: 'ann' }, { issuer: 'me', expIn: 600 });
      const identity = await auth.renew!({ token }, undefined as never);
      expect(identity?.user.sub).toBe('ann');
      expect(identity?.expiresAt).toBe((identity?.user.exp as number) * 1000);
      expect(
        await auth.renew!({ token: await sign({ sub: 'ann' }, { issuer: 'me', expIn: -1 }) }, undefined as never),
      ).toBeUndefined();
      expect(
        await auth.renew!({ token: await sign({ sub: 'ann' }, { issuer: 'you' }) }, undefined as never),
      ).toBeUndefined();
      expect(
        await auth.renew!(
          { token: await sign({ sub: 'ann' }, { issuer: 'me', key: encode(OTHER_SECRET) }) },
          undefined as never,
        ),
      ).toBeUndefined();
    });

    it.each([[undefined], [null], ['a-token-string'], [{}], [{ token: 42 }], [{ token: '' }], [[]], [{ jwt: 'x' }]])(
      'gives undefined for credentials %p',
      async (credentials) => {
        await expect(hs().renew!(credentials, undefined as never)).resolves.toBeUndefined();
      },
    );

    it('does not take a token inherited from the prototype', async () => {
      const token = await sign();
      const credentials = Object.create({ token }) as object;
      expect(await hs().renew!(credentials, undefined as never)).toBeUndefined();
    });
  });

  it('types the payload with its type parameter', async () => {
    interface Claims extends JWTPayload {
      sub: string;
      roles: string[];
    }
    const auth: SocketAuthenticator<Claims> = jwtAuthenticator<Claims>({ secret: SECRET });
    const identity = await authenticate(auth, await sign({ sub: 'ann', roles: ['admin'] }));
    const roles: string[] | undefined = identity?.user.roles;
    expect(roles).toEqual(['admin']);
  });
});

describe('jwtAuthenticator with a public key', () => {
  let rsa: { publicKey: CryptoKey; privateKey: CryptoKey; pem: string };
  let ec: { publicKey: CryptoKey; privateKey: CryptoKey; pem: string };
  let ed: { publicKey: CryptoKey; privateKey: CryptoKey; pem: string };

  beforeAll(async () => {
    const pair = async (alg: string) => {
      const { publicKey, privateKey } = await generateKeyPair(alg, { extractable: true });
      return { publicKey, privateKey, pem: await exportSPKI(publicKey) };
    };
    [rsa, ec, ed] = await Promise.all([pair('RS256'), pair('ES256'), pair('EdDSA')]);
  });

  it('verifies RS256 tokens with a PEM key', async () => {
    const auth = jwtAuthenticator({ publicKey: rsa.pem, algorithms: ['RS256'] });
    const token = await sign({ sub: 'ann' }, { alg: 'RS256', key: rsa.privateKey });
    const identity = await authenticate(auth, token);
    expect(identity?.user.sub).toBe('ann');
    expect(identity?.expiresAt).toBe((identity?.user.exp as number) * 1000);
    // Again, with the imported key cached, and from the other sources.
    expect((await auth.authenticate(handshake({ query: { token } })))?.user.sub).toBe('ann');
    expect(
      (await auth.authenticate(handshake({ headers: { 'sec-websocket-protocol': `bearer, ${token}` } })))?.user.sub,
    ).toBe('ann');
  });

  it('verifies ES256 tokens with a PEM key', async () => {
    const auth = jwtAuthenticator({ publicKey: ec.pem, algorithms: ['ES256'] });
    const token = await sign({ sub: 'ec' }, { alg: 'ES256', key: ec.privateKey });
    expect((await authenticate(auth, token))?.user.sub).toBe('ec');
  });

  it('accepts a PEM with surrounding whitespace (as read from a file or variable)', async () => {
    const auth = jwtAuthenticator({ publicKey: `\n  ${rsa.pem}\n\n`, algorithms: ['RS256'] });
    expect(
      (await authenticate(auth, await sign({ sub: 'ann' }, { alg: 'RS256', key: rsa.privateKey })))?.user.sub,
    ).toBe('ann');
  });

  it('defaults algorithms to RS256, ES256 and EdDSA', async () => {
    const token = async (alg: string, key: CryptoKey) => sign({ sub: alg }, { alg, key });
    expect(
      (await authenticate(jwtAuthenticator({ publicKey: rsa.pem }), await token('RS256', rsa.privateKey)))?.user.sub,
    ).toBe('RS256');
    expect(
      (await authenticate(jwtAuthenticator({ publicKey: ec.pem }), await token('ES256', ec.privateKey)))?.user.sub,
    ).toBe('ES256');
    expect(
      (await authenticate(jwtAuthenticator({ publicKey: ed.pem }), await token('EdDSA', ed.privateKey)))?.user.sub,
    ).toBe('EdDSA');
    // Others only when listed (a Node KeyObject pair, whose private key signs with any RSA alg).
    const node = generateKeyPairSync('rsa', { modulusLength: 2048 });
    const nodePem = node.publicKey.export({ format: 'pem', type: 'spki' }).toString();
    const rs512 = await sign({ sub: 'RS512' }, { alg: 'RS512', key: node.privateKey });
    expect(await authenticate(jwtAuthenticator({ publicKey: nodePem }), rs512)).toBeUndefined();
    expect((await authenticate(jwtAuthenticator({ publicKey: nodePem, algorithms: ['RS512'] }), rs512))?.user.sub).toBe(
      'RS512',
    );
    const rs256 = await sign({ sub: 'RS256' }, { alg: 'RS256', key: node.privateKey });
    expect(await authenticate(jwtAuthenticator({ publicKey: nodePem, algorithms: ['RS512'] }), rs256)).toBeUndefined();
  });

  it('refuses a token of an allowed algorithm that the key cannot do, and still verifies the right ones after', async () => {
    const auth = jwtAuthenticator({ publicKey: rsa.pem, algorithms: ['RS256', 'ES256'] });
    const ecToken = await sign({ sub: 'ec' }, { alg: 'ES256', key: ec.privateKey });
    expect(await authenticate(auth, ecToken)).toBeUndefined();
    expect(await authenticate(auth, ecToken)).toBeUndefined(); // the failed import is cached, still refused
    expect(
      (await authenticate(auth, await sign({ sub: 'rsa' }, { alg: 'RS256', key: rsa.privateKey })))?.user.sub,
    ).toBe('rsa');
  });

  it('refuses a token signed by another key pair', async () => {
    const other = await generateKeyPair('RS256');
    const auth = jwtAuthenticator({ publicKey: rsa.pem, algorithms: ['RS256'] });
    expect(
      await authenticate(auth, await sign({ sub: 'mallory' }, { alg: 'RS256', key: other.privateKey })),
    ).toBeUndefined();
  });

  it('refuses an HS256 token signed with the public key as HMAC secret (algorithm confusion)', async () => {
    // The classic attack: the attacker knows the public key and uses its bytes as an HMAC secret.
    const forged = await sign({ sub: 'admin' }, { alg: 'HS256', key: encode(rsa.pem) });
    for (const publicKey of [rsa.pem, rsa.publicKey, createPublicKey(rsa.pem)]) {
      expect(await authenticate(jwtAuthenticator({ publicKey, algorithms: ['RS256'] }), forged)).toBeUndefined();
      expect(await authenticate(jwtAuthenticator({ publicKey }), forged)).toBeUndefined();
    }
    const der = createPublicKey(rsa.pem).export({ format: 'der', type: 'spki' });
    const forgedDer = await sign({ sub: 'admin' }, { alg: 'HS256', key: new Uint8Array(der) });
    expect(await authenticate(jwtAuthenticator({ publicKey: rsa.pem }), forgedDer)).toBeUndefined();
  });

  it('refuses alg none tokens', async () => {
    const unsecured = new UnsecuredJWT({ sub: 'admin' }).setExpirationTime('1h').encode();
    expect(await authenticate(jwtAuthenticator({ publicKey: rsa.pem }), unsecured)).toBeUndefined();
    expect(await authenticate(jwtAuthenticator({ publicKey: rsa.publicKey }), unsecured)).toBeUndefined();
  });

  it('verifies with a CryptoKey or a Node KeyObject', async () => {
    const token = await sign({ sub: 'ann' }, { alg: 'RS256', key: rsa.privateKey });
    expect(
      (await authenticate(jwtAuthenticator({ publicKey: rsa.publicKey, algorithms: ['RS256'] }), token))?.user.sub,
    ).toBe('ann');
    expect(
      (await authenticate(jwtAuthenticator({ publicKey: createPublicKey(rsa.pem), algorithms: ['RS256'] }), token))
        ?.user.sub,
    ).toBe('ann');
    const ecToken = await sign({ sub: 'ec' }, { alg: 'ES256', key: ec.privateKey });
    expect((await authenticate(jwtAuthenticator({ publicKey: createPublicKey(ec.pem) }), ecToken))?.user.sub).toBe(
      'ec',
    );
  });

  it('checks time claims, issuer and audience as with a secret', async () => {
    const auth = jwtAuthenticator({
      publicKey: ec.pem,
      algorithms: ['ES256'],
      issuer: 'idp',
      audience: 'api',
      requireExpiry: true,
    });
    const token = (options: SignOptions) =>
      sign({ sub: 'ann' }, { alg: 'ES256', key: ec.privateKey, issuer: 'idp', audience: 'api', ...options });
    expect((await authenticate(auth, await token({})))?.user.sub).toBe('ann');
    expect(await authenticate(auth, await token({ expIn: -10 }))).toBeUndefined();
    expect(await authenticate(auth, await token({ nbfIn: 100 }))).toBeUndefined();
    expect(await authenticate(auth, await token({ issuer: 'other' }))).toBeUndefined();
    expect(await authenticate(auth, await token({ audience: 'other' }))).toBeUndefined();
    expect(await authenticate(auth, await token({ expIn: null }))).toBeUndefined();
  });

  it('renews with a token signed by the key pair', async () => {
    const auth = jwtAuthenticator({ publicKey: rsa.pem, algorithms: ['RS256'] });
    const token = await sign({ sub: 'ann' }, { alg: 'RS256', key: rsa.privateKey });
    expect((await auth.renew!({ token }, undefined as never))?.user.sub).toBe('ann');
    expect(await auth.renew!({ token: await sign({ sub: 'ann' }) }, undefined as never)).toBeUndefined();
  });
});

describe('jwtAuthenticator options', () => {
  const pem = (): string => {
    const { publicKey } = generateKeyPairSync('ec', { namedCurve: 'P-256' });
    return publicKey.export({ format: 'pem', type: 'spki' }).toString();
  };

  it.each<[string, JwtAuthenticatorOptions, RegExp]>([
    ['no key', {}, /`secret` or `publicKey` is required/],
    ['an unset environment variable', { secret: process.env.NO_SUCH_VARIABLE_FOR_THIS_TEST }, /is required/],
    ['both keys', { secret: SECRET, publicKey: pem() }, /not both/],
    ['an empty secret', { secret: '' }, /empty/],
    ['an empty byte secret', { secret: new Uint8Array() }, /empty/],
    ['an asymmetric algorithm with a secret', { secret: SECRET, algorithms: ['RS256'] }, /RS256.*secret/],
    ['alg none with a secret', { secret: SECRET, algorithms: ['none'] }, /"none"/],
    ['an HMAC algorithm with a public key', { publicKey: pem(), algorithms: ['HS256'] }, /HS256.*publicKey/],
    ['alg none with a public key', { publicKey: pem(), algorithms: ['ES256', 'none'] }, /"none"/],
    ['an unknown algorithm', { secret: SECRET, algorithms: ['HS1'] }, /HS1/],
    ['no algorithms', { secret: SECRET, algorithms: [] }, /non-empty/],
    ['a PEM that is not SPKI', { publicKey: 'ssh-rsa AAAAB3NzaC1yc2E' }, /SPKI/],
    ['a broken PEM', { publicKey: '-----BEGIN PUBLIC KEY-----\nnope\n-----END PUBLIC KEY-----' }, /SPKI/],
    ['a certificate', { publicKey: '-----BEGIN CERTIFICATE-----\nMIIB\n-----END CERTIFICATE-----' }, /SPKI/],
    ['a private key', { publicKey: generateKeyPairSync('ec', { namedCurve: 'P-256' }).privateKey }, /private key/],
    ['a secret KeyObject', { publicKey: createSecretKey(Buffer.from(SECRET)) }, /secret key/],
    ['a negative clock tolerance', { secret: SECRET, clockToleranceSec: -1 }, /clockToleranceSec/],
    ['a NaN clock tolerance', { secret: SECRET, clockToleranceSec: Number.NaN }, /clockToleranceSec/],
    ['an empty queryParam', { secret: SECRET, queryParam: '' }, /queryParam/],
  ])('throws a TypeError at creation for %s', (_name, options, message) => {
    expect(() => jwtAuthenticator(options)).toThrow(TypeError);
    expect(() => jwtAuthenticator(options)).toThrow(message);
  });

  it('does not put the secret in its errors', () => {
    // The error is caught outside the try, so that a creation that does not throw fails the test.
    let message = '';
    try {
      jwtAuthenticator({ secret: SECRET, algorithms: ['RS256'] });
    } catch (error) {
      message = (error as Error).message;
    }
    expect(message).toMatch(/algorithm "RS256" cannot be used with `secret`/);
    expect(message).not.toContain(SECRET);
  });

  it('refuses a private CryptoKey as publicKey', async () => {
    const { privateKey } = await generateKeyPair('ES256');
    expect(() => jwtAuthenticator({ publicKey: privateKey })).toThrow(/private key/);
  });
});
