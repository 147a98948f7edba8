import { jwtExpiresAt } from './jwt-expiry.js';
import type { ResolvedClientOptions, TokenRequestReason, TokenWithExpiry } from './options.js';
import type { Handshake } from './transport.js';

type ResolvedAuth = NonNullable<ResolvedClientOptions['auth']>;

/** The subprotocol before the token, as `jwtAuthenticator` reads it from browsers. */
const BEARER_PROTOCOL = 'bearer';

/**
 * The client's credentials: the token provider, called single-flight (however many connects and
 * renewals ask at once, one call is under way), and the handshake that carries the token the way
 * the server's authenticator reads it.
 */
export class Credentials {
  private fetching: Promise<TokenWithExpiry> | undefined;

  constructor(private readonly auth: ResolvedAuth) {}

  /** A token from the provider; joins the call under way, if any. */
  token(reason: TokenRequestReason): Promise<TokenWithExpiry> {
    this.fetching ??= this.callProvider(reason).finally(() => (this.fetching = undefined));
    return this.fetching;
  }

  /** The data of the in-band renewal frame, or undefined when renewal is off. */
  renewalData(token: string): unknown {
    return this.auth.renewal === false ? undefined : this.auth.renewal(token);
  }

  get renews(): boolean {
    return this.auth.renewal !== false;
  }

  get renewBeforeMs(): number {
    return this.auth.renewBeforeMs;
  }

  handshake(url: string, protocols: string[], token: string): Handshake {
    switch (this.auth.sendAs) {
      case 'query': {
        const parameter = `${encodeURIComponent(this.auth.queryParam)}=${encodeURIComponent(token)}`;
        return { url: `${url}${url.includes('?') ? '&' : '?'}${parameter}`, protocols };
      }
      case 'header': {
        const name = this.auth.headerName;
        const value = name.toLowerCase() === 'authorization' ? `Bearer ${token}` : token;
        return { url, protocols, headers: { [name]: value } };
      }
      default:
        return { url, protocols: [BEARER_PROTOCOL, token, ...protocols] };
    }
  }

  private async callProvider(reason: TokenRequestReason): Promise<TokenWithExpiry> {
    const given = typeof this.auth.token === 'function' ? await this.auth.token(reason) : this.auth.token;
    const withExpiry = typeof given === 'string' ? { token: given } : given;
    return { token: withExpiry.token, expiresAt: withExpiry.expiresAt ?? jwtExpiresAt(withExpiry.token) };
  }
}
