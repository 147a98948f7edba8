import type { HandshakeRequest } from '../interfaces/socket-authenticator.interface.js';

/**
 * A header of the upgrade request as one non-empty string, or `undefined`. Node lower-cases header
 * names, so `name` is looked up lower-cased; a value that is not a single string is ignored.
 * @internal
 */
export function headerValue(request: HandshakeRequest, name: string): string | undefined {
  const value = request.headers[name.toLowerCase()];
  return typeof value === 'string' && value !== '' ? value : undefined;
}

/**
 * A query parameter of the upgrade URL as one non-empty string, or `undefined`. A repeated
 * parameter (an array) is ambiguous and is ignored, as is anything inherited from a prototype.
 * @internal
 */
export function queryValue(request: HandshakeRequest, name: string): string | undefined {
  const query = request.query;
  if (query == null || !Object.prototype.hasOwnProperty.call(query, name)) return undefined;
  const value = query[name];
  return typeof value === 'string' && value !== '' ? value : undefined;
}

/** `credentials[name]` when `credentials` is an object and that member a non-empty string. @internal */
export function credentialString(credentials: unknown, name: string): string | undefined {
  if (typeof credentials !== 'object' || credentials === null) return undefined;
  if (!Object.prototype.hasOwnProperty.call(credentials, name)) return undefined;
  const value = (credentials as Record<string, unknown>)[name];
  return typeof value === 'string' && value !== '' ? value : undefined;
}

/** Throws a TypeError unless `value` is a non-empty string (or `undefined`, when allowed). @internal */
export function assertName(value: unknown, what: string): asserts value is string {
  if (typeof value !== 'string' || value === '') {
    throw new TypeError(`${what} must be a non-empty string`);
  }
}
