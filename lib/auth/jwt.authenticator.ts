import { createPublicKey, type KeyObject, type webcrypto } from 'node:crypto';
import type { JWTVerifyGetKey, JWTVerifyOptions } from 'jose';
import type {
  HandshakeRequest,
  SocketAuthenticator,
  SocketIdentity,
  SocketRenewal,
  SocketSecurityScheme,
} from '../interfaces/socket-authenticator.interface.js';
import { SecuritySchemeDescription } from '../protocol/docs.messages.js';
import { assertOptionalPeerInstalled, loadOptionalPeer } from '../packaging/optional-peer.js';
import { assertName, credentialString, headerValue, queryValue } from './handshake-values.js';
import type { JwtAuthenticatorOptions, JwtPayload } from './jwt-authenticator-options.interface.js';

type Jose = typeof import('jose');
type CryptoKey = webcrypto.CryptoKey;

/** What needs jose, for the error that tells a user without it what to install. */
const JOSE_FEATURE = 'jwtAuthenticator';

const HMAC_ALGORITHMS: ReadonlySet<string> = new Set(['HS256', 'HS384', 'HS512']);
const ASYMMETRIC_ALGORITHMS: ReadonlySet<string> = new Set([
  'RS256',
  'RS384',
  'RS512',
  'PS256',
  'PS384',
  'PS512',
  'ES256',
  'ES384',
  'ES512',
  'EdDSA',
  'Ed25519',
  'ML-DSA-44',
  'ML-DSA-65',
  'ML-DSA-87',
]);
const DEFAULT_SECRET_ALGORITHMS = ['HS256'];
const DEFAULT_PUBLIC_KEY_ALGORITHMS = ['RS256', 'ES256', 'EdDSA'];

/** The subprotocol a browser offers before its token: `new WebSocket(url, ['bearer', token])`. */
const BEARER_PROTOCOL = 'bearer';
const BEARER_HEADER = /^Bearer[ \t]+([^\s]+)[ \t]*$/i;

/**
 * An authenticator of JSON Web Tokens (JWS compact form), verified with
 * [jose](https://github.com/panva/jose)'s `jwtVerify`: signature, `alg` against `algorithms`,
 * `exp`, `nbf`, and `iss`/`aud` when configured. jose is an optional peer dependency (`npm i jose`):
 * without it, this function throws an error saying so.
 *
 * ```ts
 * SocketApiModule.forRoot({ auth: jwtAuthenticator({ secret: process.env.JWT_SECRET }) })
 * // or tokens of an identity provider, signed with its private key:
 * SocketApiModule.forRoot({
 *   auth: jwtAuthenticator({
 *     publicKey: process.env.JWT_PUBLIC_KEY, // -----BEGIN PUBLIC KEY----- ...
 *     algorithms: ['RS256'],
 *     issuer: 'https://id.example.com/',
 *     audience: 'my-api',
 *   }),
 * })
 * ```
 *
 * The token is taken from the first of these that the upgrade request has:
 * 1. the `Authorization: Bearer <token>` header (servers, native clients);
 * 2. the query parameter `queryParam` (default `token`: `wss://host/?token=...`), which ends up in
 *    access logs and proxies' logs, so prefer the others when you can;
 * 3. the `Sec-WebSocket-Protocol` header offered as `bearer, <token>`, for browsers, which cannot
 *    set headers: `new WebSocket(url, ['bearer', token])`. The server must then select the
 *    `bearer` subprotocol (ws picks the first one offered), never the token.
 *
 * A valid token gives `{ user: payload, subject: sub, expiresAt: (exp + clockToleranceSec) * 1000 }`
 * (no `subject` without a string `sub`, no `expiresAt` without `exp`): the connection is closed when
 * the token expires, as jose reckons it (with the same tolerance), unless the client renews it
 * in-band with `{"type":"auth","data":{"token":"<new token>"}}`, verified the same way; the new
 * token must have the same `sub` unless `allowSubjectChange`. A token whose `exp` gives no finite
 * time (`1e400` is `Infinity`) is refused. A missing,
 * malformed, expired, not-yet-valid (`nbf`), badly signed or otherwise refused token gives
 * `undefined` (HTTP 401 on connect); client errors never throw and nothing is logged. Options
 * that cannot work (no key, both keys, an HMAC algorithm with a public key, ...) throw a
 * `TypeError` here, at startup.
 *
 * `Payload` only types the claims: they are not validated beyond the registered ones.
 */
export function jwtAuthenticator<Payload extends JwtPayload = JwtPayload>(
  options: JwtAuthenticatorOptions,
): SocketAuthenticator<Payload> {
  if (typeof options !== 'object' || options === null) {
    throw new TypeError('jwtAuthenticator: options are required');
  }
  // jose is an optional peer dependency, imported by the first verification: a missing one fails the
  // app as it starts (here, in forRoot's options), not at its first client.
  assertOptionalPeerInstalled('jose', JOSE_FEATURE);
  let loading: Promise<Jose> | undefined;
  const loadJose = () => (loading ??= loadOptionalPeer('jose', JOSE_FEATURE, () => import('jose')));
  const key = verificationKey(options, loadJose);
  const verifyOptions = verifyOptionsOf(options, key.symmetric);
  const queryParam = options.queryParam ?? 'token';
  assertName(queryParam, 'jwtAuthenticator: queryParam');

  const toleranceSec = verifyOptions.clockTolerance as number;
  const allowSubjectChange = options.allowSubjectChange === true;

  const verify = async (token: string): Promise<SocketIdentity<Payload> | undefined> => {
    const { jwtVerify } = await loadJose();
    let payload: Payload;
    try {
      ({ payload } = await jwtVerify<Payload>(token, key.input, verifyOptions));
    } catch {
      // Bad signature, expired, malformed, disallowed alg...: the client's fault, and an expected
      // one. Neither the token nor the reason is logged.
      return undefined;
    }
    const identity: SocketIdentity<Payload> = { user: payload };
    if (typeof payload.sub === 'string' && payload.sub !== '') identity.subject = payload.sub;
    if (payload.exp !== undefined) {
      // jose accepts the token until `exp + tolerance`: it expires then, not at once when within it.
      const expiresAt = (payload.exp + toleranceSec) * 1000;
      if (!Number.isFinite(expiresAt)) return undefined;
      identity.expiresAt = expiresAt;
    }
    return identity;
  };

  return {
    async authenticate(request: HandshakeRequest): Promise<SocketIdentity<Payload> | undefined> {
      const token = findToken(request, queryParam);
      return token === undefined ? undefined : verify(token);
    },
    async renew(credentials: unknown): Promise<SocketRenewal<Payload> | undefined> {
      const token = credentialString(credentials, 'token');
      const identity = token === undefined ? undefined : await verify(token);
      return identity && allowSubjectChange ? { ...identity, allowSubjectChange } : identity;
    },
    securitySchemes(): SocketSecurityScheme[] {
      return [
        {
          type: 'http',
          scheme: 'bearer',
          bearerFormat: 'JWT',
          subprotocol: BEARER_PROTOCOL,
          description: SecuritySchemeDescription.jwtBearer,
        },
        {
          type: 'httpApiKey',
          in: 'query',
          name: queryParam,
          description: SecuritySchemeDescription.jwtQuery(queryParam),
        },
      ];
    },
  };
}

/** The token of the first source that has one (see {@link jwtAuthenticator}). */
function findToken(request: HandshakeRequest, queryParam: string): string | undefined {
  return (
    bearerOfAuthorization(headerValue(request, 'authorization')) ??
    queryValue(request, queryParam) ??
    bearerOfProtocols(headerValue(request, 'sec-websocket-protocol'))
  );
}

function bearerOfAuthorization(header: string | undefined): string | undefined {
  return header === undefined ? undefined : BEARER_HEADER.exec(header)?.[1];
}

/** The entry after `bearer` in the offered subprotocols (`bearer, <token>`). */
function bearerOfProtocols(header: string | undefined): string | undefined {
  if (header === undefined) return undefined;
  const offered = header.split(',').map((protocol) => protocol.trim());
  const index = offered.findIndex((protocol) => protocol.toLowerCase() === BEARER_PROTOCOL);
  const token = index === -1 ? undefined : offered[index + 1];
  return token ? token : undefined;
}

interface VerificationKey {
  input: Uint8Array | CryptoKey | KeyObject | JWTVerifyGetKey;
  symmetric: boolean;
}

function verificationKey(
  { secret, publicKey }: JwtAuthenticatorOptions,
  loadJose: () => Promise<Jose>,
): VerificationKey {
  if (secret !== undefined && publicKey !== undefined) {
    throw new TypeError('jwtAuthenticator: give either `secret` or `publicKey`, not both');
  }
  if (secret !== undefined) return { input: secretBytes(secret), symmetric: true };
  if (publicKey !== undefined) return { input: publicKeyInput(publicKey, loadJose), symmetric: false };
  throw new TypeError(
    'jwtAuthenticator: `secret` or `publicKey` is required (is the environment variable that should hold it set?)',
  );
}

function secretBytes(secret: string | Uint8Array): Uint8Array {
  let bytes: Uint8Array;
  if (typeof secret === 'string') bytes = new TextEncoder().encode(secret);
  else if (secret instanceof Uint8Array)
    bytes = new Uint8Array(secret); // a copy: later changes don't count
  else throw new TypeError('jwtAuthenticator: `secret` must be a string or a Uint8Array');
  if (bytes.length === 0) throw new TypeError('jwtAuthenticator: `secret` is empty');
  return bytes;
}

function publicKeyInput(
  publicKey: string | CryptoKey | KeyObject,
  loadJose: () => Promise<Jose>,
): CryptoKey | KeyObject | JWTVerifyGetKey {
  if (typeof publicKey === 'string') return pemKeyResolver(publicKey, loadJose);
  if (typeof publicKey !== 'object' || publicKey === null || typeof publicKey.type !== 'string') {
    throw new TypeError('jwtAuthenticator: `publicKey` must be a PEM string, a CryptoKey or a KeyObject');
  }
  if (publicKey.type !== 'public') {
    throw new TypeError(
      `jwtAuthenticator: \`publicKey\` is a ${publicKey.type} key; give the public key (or \`secret\` for HMAC)`,
    );
  }
  return publicKey;
}

/**
 * A PEM SPKI key, checked now and imported by jose on first use for each algorithm (Web Crypto
 * keys are bound to one algorithm); the import, or its failure for an algorithm the key cannot
 * do, is cached. jose checks a token's `alg` against `algorithms` before it asks for the key, so
 * the cache holds at most one entry per allowed algorithm.
 */
function pemKeyResolver(pem: string, loadJose: () => Promise<Jose>): JWTVerifyGetKey {
  const spki = pem.trim();
  let valid = spki.startsWith('-----BEGIN PUBLIC KEY-----');
  if (valid) {
    try {
      createPublicKey({ key: spki, format: 'pem', type: 'spki' });
    } catch {
      valid = false;
    }
  }
  if (!valid) {
    throw new TypeError(
      'jwtAuthenticator: `publicKey` is not a PEM public key in SPKI form (-----BEGIN PUBLIC KEY-----)',
    );
  }
  const imported = new Map<string, Promise<CryptoKey>>();
  return (header) => {
    const alg = header.alg ?? '';
    let key = imported.get(alg);
    if (key === undefined) {
      key = loadJose().then(({ importSPKI }) => importSPKI(spki, alg));
      imported.set(alg, key);
    }
    return key;
  };
}

function verifyOptionsOf(options: JwtAuthenticatorOptions, symmetric: boolean): JWTVerifyOptions {
  const algorithms = options.algorithms ?? (symmetric ? DEFAULT_SECRET_ALGORITHMS : DEFAULT_PUBLIC_KEY_ALGORITHMS);
  if (!Array.isArray(algorithms) || algorithms.length === 0) {
    throw new TypeError('jwtAuthenticator: `algorithms` must be a non-empty array');
  }
  const allowed = symmetric ? HMAC_ALGORITHMS : ASYMMETRIC_ALGORITHMS;
  for (const alg of algorithms) {
    if (!allowed.has(alg)) {
      throw new TypeError(
        `jwtAuthenticator: algorithm ${JSON.stringify(alg)} cannot be used with \`${symmetric ? 'secret' : 'publicKey'}\`` +
          ` (allowed: ${[...allowed].join(', ')})`,
      );
    }
  }
  const clockTolerance = options.clockToleranceSec ?? 0;
  if (typeof clockTolerance !== 'number' || !Number.isFinite(clockTolerance) || clockTolerance < 0) {
    throw new TypeError('jwtAuthenticator: `clockToleranceSec` must be a finite number >= 0');
  }
  return {
    algorithms: [...algorithms],
    issuer: options.issuer,
    audience: options.audience,
    clockTolerance,
    requiredClaims: options.requireExpiry ? ['exp'] : undefined,
  };
}
