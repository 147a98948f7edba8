/**
 * The HTTP bridge: `POST {"channel": name, "data": {...}}` with `Content-Type: application/json`
 * runs the channel method and publishes. Requests from browsers are held to `allowedOrigins`, as
 * the socket's upgrades are.
 */
export interface BroadcastOptions {
  /**
   * Route of the endpoint on the app's HTTP server.
   * @default '/_broadcast'
   */
  path?: string;
  /**
   * Remote addresses allowed besides loopback (which always is), as the socket sees them: addresses
   * (`'10.0.0.5'`, `'2001:db8::1'`) or CIDR ranges (`'10.0.0.0/24'`). `X-Forwarded-For` is never
   * read.
   * @default [] (loopback only)
   */
  allowedHosts?: string[];
  /**
   * When set, requests need `Authorization: Bearer <token>` (else 401).
   * @default undefined (no token, with a warning at startup)
   */
  token?: string;
  /**
   * Largest body read; a larger one gets 413 and is not read further.
   * @default 1048576 (1 MiB)
   */
  maxBodyBytes?: number;
}
