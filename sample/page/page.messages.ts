import { SocketApiError, type ClientState } from '../../client/src/index.js';

/** The page's own texts (the markup's are in sample/page.html.ts). */
export const PageText = {
  connectingTo: (url: string) => `connecting to ${url}`,
  socketOpen: 'open',
  // The client sends text frames only; said rather than shown as [object Blob] should that change.
  binaryFrame: '(a binary frame)',
  socketClosed: (code: number, reason: string) => `close ${code}${reason ? ` ${reason}` : ''}`,
  status({ status, error, attempts }: ClientState): string {
    const why = error ? `: ${error.code} ${error.message}` : '';
    if (status === 'reconnecting') return `reconnecting (retry ${attempts ?? 1})${why}`;
    if (status === 'connecting') return 'connecting…';
    return `${status}${why}`;
  },
  waiting: '…',
  subscribed: 'subscribed to chat',
  unsubscribed: 'unsubscribed from chat',
  mismatch: (serverHash: string) =>
    `This page was built for another version of the server's API (server contract ${serverHash.slice(0, 12)}…): reload it.`,
  /** A failed call or subscription: the error's code and message, and each invalid field's path and messages. */
  failure(error: unknown): string {
    if (!(error instanceof SocketApiError)) return String(error);
    const fields = error.errors.map(({ path, messages }) => `${path}: ${messages.join(', ')}`);
    return [`${error.code}: ${error.message}`, ...fields].join('\n');
  },
};
