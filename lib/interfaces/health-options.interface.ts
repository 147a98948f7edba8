/**
 * The probes an orchestrator polls (`forRoot({ health: true })` or `{ health: {...} }`), served on the
 * app's HTTP server ahead of the framework: the app's guards, middleware and global prefix do not
 * apply to them. `GET` or `HEAD`; a query string is ignored.
 */
export interface SocketApiHealthOptions {
  /**
   * Liveness: 200 `{"status":"ok"}` while the process answers HTTP at all.
   * @default '/health/live'
   */
  livePath?: string;
  /**
   * Readiness: 200 `{"status":"ok"}` while the socket is served and the broker is connected; else 503
   * `{"status":"unavailable","reason":"starting"|"draining"|"broker"}`.
   * @default '/health/ready'
   */
  readyPath?: string;
}
