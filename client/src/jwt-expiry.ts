import { decodeBase64 } from './platform.js';

/**
 * When a JWT expires (its `exp`, in ms since the epoch), read without verifying it: the client only
 * schedules its renewal by it, the server decides. Undefined for a token that is not a JWT with a
 * numeric `exp` (an API key, an opaque token).
 */
export function jwtExpiresAt(token: string): number | undefined {
  const parts = token.split('.');
  if (parts.length !== 3) return undefined;
  const base64 = parts[1].replace(/-/g, '+').replace(/_/g, '/');
  try {
    const json = decodeBase64(base64 + '='.repeat((4 - (base64.length % 4)) % 4));
    if (json === undefined) return undefined;
    const claims: unknown = JSON.parse(json);
    if (typeof claims !== 'object' || claims === null) return undefined;
    const exp = (claims as { exp?: unknown }).exp;
    return typeof exp === 'number' && Number.isFinite(exp) ? exp * 1000 : undefined;
  } catch {
    return undefined;
  }
}
