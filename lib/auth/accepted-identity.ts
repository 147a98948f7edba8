import type { SocketIdentity, SocketRenewal } from '../interfaces/socket-authenticator.interface.js';

/**
 * The one gate of every identity an authenticator gives, at the handshake and at renewal: a copy
 * holding only `user`, `subject` and `expiresAt`, or `undefined` when there is none or it has
 * already expired (the credentials are refused). An identity that breaks the contract of
 * {@link SocketIdentity} (`expiresAt` of `Infinity` or `NaN`, a `subject` that is not a string) is
 * the authenticator's fault: a `TypeError` saying so, which the caller answers as any authenticator
 * failure. Without this, `Infinity` would reach the client as `"expiresAt":Infinity` (not JSON)
 * and arm a timer that fires at once, again and again.
 */
export function acceptedIdentity<User>(
  identity: SocketIdentity<User> | SocketRenewal<User> | null | undefined,
  now: number,
): SocketIdentity<User> | undefined {
  if (identity === undefined || identity === null) return undefined;
  if (typeof identity !== 'object') {
    throw new TypeError(`The authenticator returned ${typeof identity} instead of an identity ({ user, expiresAt? })`);
  }
  const { user, subject, expiresAt } = identity;
  if (subject !== undefined && typeof subject !== 'string') {
    throw new TypeError(`The authenticator returned an identity whose subject is a ${typeof subject}, not a string`);
  }
  if (expiresAt !== undefined && !(typeof expiresAt === 'number' && Number.isFinite(expiresAt))) {
    throw new TypeError(
      `The authenticator returned an identity whose expiresAt is ${String(expiresAt)}: ` +
        'it must be a finite number of milliseconds since the epoch, or absent',
    );
  }
  if (expiresAt !== undefined && expiresAt <= now) return undefined;
  const accepted: SocketIdentity<User> = { user };
  if (subject !== undefined) accepted.subject = subject;
  if (expiresAt !== undefined) accepted.expiresAt = expiresAt;
  return accepted;
}
