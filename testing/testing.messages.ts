/** Every user-facing string of the testing kit (the house rule: messages live in one file). */
export const TestingMessage = {
  timedOut: (what: string, ms: number) => `Test client: ${what} did not happen within ${ms} ms`,
  connectFailed: (url: string, error: string | undefined) =>
    `Test client: could not connect to ${url}${error === undefined ? '' : ` (${error})`}`,
  expectedError: (code: string, action: string) => `Test client: expected action '${action}' to fail with ${code}`,
  butReplied: (reply: string) => `but it replied ${reply}`,
  butFailed: (code: string, message: string) => `but it failed with ${code}: ${message}`,
  appClosed: 'Test client: the app is closed (app.close() was called): make the client before closing the app',
  noAddress: 'Test client: the app is listening, but not on a TCP port',
  notConnected: (what: string) => `Test client: cannot ${what}: no open connection`,
  noModule: 'Test client: the app has no SocketApiModule (pass `path` to connect anyway)',
  lastFrames: (count: number) => `Last ${count} frames (> out, < in, * connection):`,
  notAnApp: 'Test client: the app given has no close() method (pass a Nest INestApplication)',
  noFrames: 'No frame was sent or received.',
} as const;
