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
  joinedRoom: (roomId: string) => `joined room ${roomId}`,
  leftRoom: (channel: string) => `left ${channel}`,
  /** A member that gave no display name (`?name=` in the page's URL): the start of its clientId. */
  unnamedMember: (clientId: string) => `anonymous ${clientId.slice(0, 8)}`,
  roomRecoveryFailed:
    'Some messages of this room may be missing: the server could not replay what was sent while this page was disconnected (its history was lost, or the page was away too long).',
  roomGap: '— some messages may be missing here —',
  mismatch: (serverHash: string) =>
    `This page was built for another version of the server's API (server contract ${serverHash.slice(0, 12)}…): reload it.`,
  /** A failed call or subscription: the error's code and message, and each invalid field's path and messages. */
  failure(error: unknown): string {
    if (!(error instanceof SocketApiError)) return String(error);
    const fields = error.errors.map(({ path, messages }) => `${path}: ${messages.join(', ')}`);
    return [`${error.code}: ${error.message}`, ...fields].join('\n');
  },
};
