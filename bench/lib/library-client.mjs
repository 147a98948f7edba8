// The load generator's adapter on the project's own client, `nestjs-socketapi-client` (client/dist,
// built by `npm run bench`; resolved through the npm workspace link), for the `client-*` scenarios:
// the same connection API as the adapters of clients.mjs, written the way an application would use
// the client (`await client.action('add', { a, b })`), with the client's defaults: on Node 20 it
// loads `ws` by itself (ws defaults: random masking, UTF-8 validation), on Node 22+ it uses the
// global WebSocket. Only what the rpc mode and the action steps of the check need is here: `check`
// skips the channel steps for an adapter without `subscribe`.
import { SocketApiClient } from 'nestjs-socketapi-client';

class LibraryClientConn {
  constructor(client) {
    this.client = client;
    this.unmatched = 0; // the client matches replies itself; one it cannot match is not surfaced
  }
  add(a, b, cb) {
    this.addRaw({ a, b }, cb);
  }
  addRaw(data, cb) {
    this.client.action('add', data).then(
      (value) => cb(null, value),
      (err) => cb(err),
    );
  }
  get open() {
    return this.client.state.status === 'open';
  }
  abort() {
    // The process exits right after: the close frame is best effort.
    void this.client.close();
  }
}

/** A connected client, or a rejection with the error of a failed first connection (no reconnection). */
export function connectLibraryClient(url) {
  const client = new SocketApiClient(url, { reconnect: false });
  return new Promise((resolve, reject) => {
    const subscription = client.state$.subscribe((state) => {
      if (state.status === 'open') resolve(new LibraryClientConn(client));
      else if (state.status === 'closed') reject(new Error(state.error?.message ?? 'connection closed'));
      else return;
      queueMicrotask(() => subscription.unsubscribe());
    });
  });
}
