/** Every message the client puts in an error, in one place. */
export const ClientMessage = {
  timeout: (action: string, ms: number) => `Action '${action}' got no reply within ${ms} ms.`,
  aborted: (action: string) => `Action '${action}' was aborted.`,
  disconnected: (action: string) =>
    `The connection dropped while action '${action}' was in flight: it may have been executed.`,
  notConnected: (action: string) => `Action '${action}' was not sent: the client is not connected.`,
  queueFull: (action: string) => `Action '${action}' was not queued: the queue of actions waiting to be sent is full.`,
  closed: 'The client is closed.',
  noWebSocket:
    'No WebSocket implementation: this platform has no global WebSocket and the `ws` package is not installed ' +
    '(npm i ws), and none was given as the `WebSocket` option.',
  authRefused: (status: string) =>
    `The server refused the credentials (${status}), also after a fresh token was fetched; the client gave up.`,
  tokenFailed: 'The token provider failed.',
  connectionLost: (code: number, reason: string) =>
    `The connection closed (code ${code}${reason === '' ? '' : `, ${reason}`}).`,
  handshakeRefused: (status: number) => `The server refused the WebSocket handshake (HTTP ${status}).`,
  deadConnection: (ms: number) => `The connection was silent for ${ms} ms after a ping: replaced.`,
  gaveUp: (attempts: number) => `Gave up reconnecting after ${attempts} attempts.`,
  subscriptionConflict: (channel: string) =>
    `Channel '${channel}' is already subscribed with other data: one connection holds one subscription per channel.`,
  dataFailed: (channel: string, error: unknown) =>
    `The data of channel '${channel}' cannot be sent: ${error instanceof Error ? error.message : String(error)}`,
  actionDataFailed: (action: string, error: unknown) =>
    `The data of action '${action}' cannot be sent: ${error instanceof Error ? error.message : String(error)}`,
  unsubscribedByServer: (channel: string) => `The server ended the subscription to channel '${channel}'.`,
  renewalNotConnected: 'The credentials were not renewed: the client is not connected.',
  contractMismatch: (clientHash: string, serverHash: string) =>
    `nestjs-socketapi-client: this client was built against contract ${clientHash.slice(0, 12)}…, the server's is ` +
    `${serverHash.slice(0, 12)}…: regenerate the contract and rebuild (or reload a stale page).`,
  renewalUnsupported: 'No credentials to renew: the client has no `auth` option.',
} as const;
