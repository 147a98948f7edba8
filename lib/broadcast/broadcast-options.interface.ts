/** The HTTP bridge: `POST {"channel": name, "data": {...}}` runs the channel method and publishes. */
export interface BroadcastOptions {
  /** Route of the endpoint on the app's HTTP server. Default `'/_broadcast'`. */
  path?: string;
  /**
   * Remote addresses allowed besides loopback (which always is), as the socket sees them:
   * `'10.0.0.5'`, `'::1'`. `X-Forwarded-For` is never read.
   */
  allowedHosts?: string[];
  /** When set, requests need `Authorization: Bearer <token>`. */
  token?: string;
}
