import { createHash, timingSafeEqual } from 'node:crypto';
import type {
  HandshakeRequest,
  SocketAuthenticator,
  SocketIdentity,
  SocketRenewal,
  SocketSecurityScheme,
} from '../interfaces/socket-authenticator.interface.js';
import { SecuritySchemeDescription } from '../protocol/docs.messages.js';
import type { ApiKeyAuthenticatorOptions, ApiKeys } from './api-key-authenticator-options.interface.js';
import { assertName, credentialString, headerValue, queryValue } from './handshake-values.js';

/**
 * An authenticator of static API keys (service-to-service clients, devices, scripts).
 *
 * ```ts
 * // Any of these keys; the user is the key's fingerprint, e.g. 'sha256:3c9a0f1e2b7d4a65':
 * SocketApiModule.forRoot({ auth: apiKeyAuthenticator({ keys: process.env.API_KEYS!.split(',') }) })
 * // Who each key is:
 * SocketApiModule.forRoot({
 *   auth: apiKeyAuthenticator({ keys: new Map([[process.env.BILLING_KEY!, { service: 'billing' }]]) }),
 * })
 * // Keys kept elsewhere (returns the user, or undefined to refuse):
 * SocketApiModule.forRoot({ auth: apiKeyAuthenticator({ keys: (key) => apiKeys.findUser(key) }) })
 * ```
 *
 * The key is taken from the `x-api-key` header (option `header`) or, when the request has none,
 * from the `api_key` query parameter (option `queryParam`): `wss://host/?api_key=...`, for clients
 * that cannot set headers. A missing or unknown key gives `undefined` (HTTP 401 on connect). Keys
 * never expire; a client may still present another key in-band with
 * `{"type":"auth","data":{"apiKey":"<key>"}}`, checked the same way, and accepted only for the same
 * subject: the user when it is a string (a list's fingerprint, so another key of a list is another
 * subject), else what the `subject` option gives, unless `allowSubjectChange`.
 *
 * A list, `Map` or object of keys is checked in constant time: the key sent is hashed (SHA-256)
 * and compared with `crypto.timingSafeEqual` to the digest of every configured key, all of them
 * every time, so the time taken tells nothing about how much of a key was right, nor which key
 * matched. Object keys are only its own entries (`__proto__`, `constructor`, ... never match).
 * Configured keys must be non-empty strings (and are best long and random); a `TypeError` at
 * creation says otherwise. A `keys` function receives the key as sent, and what it throws is
 * thrown (an `HttpException` 401/403 gives that status).
 */
export function apiKeyAuthenticator<User = string>(
  options: ApiKeyAuthenticatorOptions<User>,
): SocketAuthenticator<User> {
  if (typeof options !== 'object' || options === null) {
    throw new TypeError('apiKeyAuthenticator: options are required');
  }
  const header = options.header ?? 'x-api-key';
  const queryParam = options.queryParam ?? 'api_key';
  if (header !== false) assertName(header, 'apiKeyAuthenticator: header');
  if (queryParam !== false) assertName(queryParam, 'apiKeyAuthenticator: queryParam');
  if (header === false && queryParam === false) {
    throw new TypeError('apiKeyAuthenticator: `header` and `queryParam` cannot both be false');
  }
  const lookUp = keyLookUp(options.keys);
  const subjectOf = options.subject ?? ((user: User) => (typeof user === 'string' ? user : undefined));
  const allowSubjectChange = options.allowSubjectChange === true;

  const check = async (key: string): Promise<SocketIdentity<User> | undefined> => {
    const user = await lookUp(key);
    if (user === undefined || user === null) return undefined;
    const subject = subjectOf(user);
    return subject === undefined ? { user } : { user, subject };
  };

  return {
    async authenticate(request: HandshakeRequest): Promise<SocketIdentity<User> | undefined> {
      const key =
        (header === false ? undefined : headerValue(request, header)) ??
        (queryParam === false ? undefined : queryValue(request, queryParam));
      return key === undefined ? undefined : check(key);
    },
    async renew(credentials: unknown): Promise<SocketRenewal<User> | undefined> {
      const key = credentialString(credentials, 'apiKey');
      const identity = key === undefined ? undefined : await check(key);
      return identity && allowSubjectChange ? { ...identity, allowSubjectChange } : identity;
    },
    securitySchemes(): SocketSecurityScheme[] {
      const schemes: SocketSecurityScheme[] = [];
      if (header !== false) {
        schemes.push({
          type: 'httpApiKey',
          in: 'header',
          name: header,
          description: SecuritySchemeDescription.apiKeyHeader(header),
        });
      }
      if (queryParam !== false) {
        schemes.push({
          type: 'httpApiKey',
          in: 'query',
          name: queryParam,
          description: SecuritySchemeDescription.apiKeyQuery(queryParam),
        });
      }
      return schemes;
    },
  };
}

/**
 * What {@link apiKeyAuthenticator} gives as the user of a key of a plain list: `sha256:` and the
 * first 16 hex digits of the key's SHA-256. It identifies the key in logs without revealing it
 * (given a long random key); compute it for your keys to tell which one a client used.
 */
export function apiKeyFingerprint(key: string): string {
  return `sha256:${digest(key).toString('hex').slice(0, 16)}`;
}

function digest(key: string): Buffer {
  return createHash('sha256').update(key, 'utf8').digest();
}

type LookUp<User> = (key: string) => User | undefined | null | Promise<User | undefined | null>;

function keyLookUp<User>(keys: ApiKeys<User>): LookUp<User> {
  if (typeof keys === 'function') return (key) => keys(key);
  return constantTimeLookUp(keyEntries(keys));
}

/** The configured keys with their users, as a list, checked and snapshotted. */
function keyEntries<User>(keys: unknown): Array<[string, User]> {
  let entries: Array<[string, unknown]>;
  if (Array.isArray(keys)) {
    entries = keys.map((key: unknown) => [key as string, typeof key === 'string' ? apiKeyFingerprint(key) : undefined]);
  } else if (typeof keys === 'object' && keys !== null && Symbol.iterator in keys) {
    // A Map, or another ReadonlyMap: iterating gives its entries.
    entries = [...(keys as Iterable<[string, unknown]>)];
  } else if (typeof keys === 'object' && keys !== null) {
    entries = Object.entries(keys);
  } else {
    throw new TypeError('apiKeyAuthenticator: `keys` must be a list, a Map, an object or a function');
  }
  if (entries.length === 0) throw new TypeError('apiKeyAuthenticator: `keys` is empty: no client could connect');
  entries.forEach(([key, user], index) => {
    if (typeof key !== 'string' || key === '') {
      throw new TypeError(`apiKeyAuthenticator: key #${index} of \`keys\` is not a non-empty string`);
    }
    if (user === undefined || user === null) {
      throw new TypeError(`apiKeyAuthenticator: key #${index} of \`keys\` has no user`);
    }
  });
  return entries as Array<[string, User]>;
}

function constantTimeLookUp<User>(entries: Array<[string, User]>): LookUp<User> {
  const digests = entries.map(([key, user]) => ({ digest: digest(key), user }));
  return (key) => {
    const sent = digest(key);
    let found: User | undefined;
    // Every configured key is compared, even after a match: equal-length digests, timingSafeEqual.
    for (const entry of digests) {
      if (timingSafeEqual(sent, entry.digest) && found === undefined) found = entry.user;
    }
    return found;
  };
}
