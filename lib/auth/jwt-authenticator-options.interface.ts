import type { KeyObject, webcrypto } from 'node:crypto';

/**
 * The claims of a verified token (the shape of jose's `JWTPayload`, declared here so that the
 * package's types do not need jose, an optional peer dependency, to compile).
 */
export interface JwtPayload {
  /** Issuer. */
  iss?: string;
  /** Subject: the identity's `subject` when a non-empty string. */
  sub?: string;
  /** Audience. */
  aud?: string | string[];
  /** JWT ID. */
  jti?: string;
  /** Not before, in seconds since the epoch. */
  nbf?: number;
  /** Expiration time, in seconds since the epoch. */
  exp?: number;
  /** Issued at, in seconds since the epoch. */
  iat?: number;
  /** Any other claim. */
  [claim: string]: unknown;
}

/** Options of {@link jwtAuthenticator}. Exactly one of `secret` and `publicKey` is required. */
export interface JwtAuthenticatorOptions {
  /**
   * Shared secret of HMAC-signed tokens (`HS256`, `HS384`, `HS512`). A string is used as its UTF-8
   * bytes. Use at least 32 random bytes (RFC 7518 §3.2 asks for a key as long as the hash).
   */
  secret?: string | Uint8Array;
  /**
   * Public key of tokens signed with RSA, RSA-PSS, ECDSA or Ed25519: a PEM string in SPKI form
   * (`-----BEGIN PUBLIC KEY-----`), a Web Crypto `CryptoKey` or a Node `KeyObject` of type `public`.
   * A PEM string is checked when the authenticator is created and imported (with jose's
   * `importSPKI`) on first use, once per algorithm.
   */
  publicKey?: string | webcrypto.CryptoKey | KeyObject;
  /**
   * JWS algorithms a token may be signed with; any other `alg` in a token's header is refused
   * (`none` always is). Default: `['HS256']` with `secret`; `['RS256', 'ES256', 'EdDSA']` with
   * `publicKey` (of which only those the key's type can verify will ever succeed). HMAC algorithms
   * are accepted only with `secret` and asymmetric ones only with `publicKey`, so a token cannot
   * be verified with the public key as an HMAC secret ("algorithm confusion").
   */
  algorithms?: string[];
  /** Required `iss` claim: one value or any of several. Default: not checked. */
  issuer?: string | string[];
  /** Required `aud` claim: one value or any of several. Default: not checked. */
  audience?: string | string[];
  /**
   * Leeway, in seconds, for `exp` and `nbf` (clocks of issuer and server differ). Default 0. A
   * connection's credentials expire at `exp` plus this leeway, as jose accepts them until then.
   */
  clockToleranceSec?: number;
  /** Query parameter of the upgrade URL that may carry the token. Default `'token'`. */
  queryParam?: string;
  /** Refuse tokens without an `exp` claim. Default `false`: such a token never expires. */
  requireExpiry?: boolean;
  /**
   * Let an in-band renewal switch a connection to a token of another `sub` (or one without `sub`).
   * Default `false`: a renewal must carry the connection's `sub`, else it is refused (`FORBIDDEN`),
   * so that connections whose tokens have no `sub` cannot renew at all.
   */
  allowSubjectChange?: boolean;
}
