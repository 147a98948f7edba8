import type { MaybePromise } from '../interfaces/socket-authenticator.interface.js';

/**
 * The keys an {@link apiKeyAuthenticator} accepts, and who each one is:
 * - a list of keys: the user is the key's fingerprint (see {@link apiKeyFingerprint}), never the
 *   key itself; only with `User` = `string`;
 * - a `Map` or a plain object from key to user;
 * - a function from the key the client sent to its user, or `undefined`/`null` to refuse it (it may
 *   be async, e.g. a database look-up). It is called with whatever the client sent, so it should
 *   compare in constant time itself, e.g. look the key up by its hash.
 *
 * Lists, maps and objects are read once, when the authenticator is created: for keys that change
 * at run time, give a function.
 */
export type ApiKeys<User = string> =
  | (string extends User ? readonly string[] : never)
  | ReadonlyMap<string, User>
  | Readonly<Record<string, User>>
  | ((key: string) => MaybePromise<User | undefined | null>);

/** Options of {@link apiKeyAuthenticator}. */
export interface ApiKeyAuthenticatorOptions<User = string> {
  keys: ApiKeys<User>;
  /** Request header that may carry the key; `false`: none. Default `'x-api-key'`. */
  header?: string | false;
  /**
   * Query parameter of the upgrade URL that may carry the key (it then ends up in access logs:
   * prefer the header where clients can set one); `false`: none. Default `'api_key'`.
   */
  queryParam?: string | false;
  /**
   * Who a key's user is, as a stable string, which an in-band renewal must keep. Default: the user
   * when it is a string (a list's key fingerprint, or the string a map or function gives), else none,
   * and then renewals are refused unless `allowSubjectChange`.
   */
  subject?: (user: User) => string | undefined;
  /** Let an in-band renewal switch a connection to a key of another subject. Default `false`. */
  allowSubjectChange?: boolean;
}
