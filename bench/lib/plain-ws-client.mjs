// The `client-*` scenarios' second reference: the SocketAPI client an application would write by hand
// on `ws` without the load generator's tricks: `new WebSocket(url)` with ws's defaults (random masking
// key, UTF-8 validation, no corking), JSON.stringify / JSON.parse, a Map of Promise callbacks by id,
// no timeout, no reconnection. Between it and the project's client lies what the client adds (timers,
// state, queue); between it and the load generator's adapter, what any general client pays.
import WebSocket from 'ws';

class PlainWsConn {
  constructor(ws) {
    this.ws = ws;
    this.nextId = 1;
    this.pending = new Map();
    this.unmatched = 0;
    ws.on('message', (text) => {
      const frame = JSON.parse(text);
      const call = this.pending.get(frame.id);
      if (call === undefined) {
        this.unmatched++;
        return;
      }
      this.pending.delete(frame.id);
      if (frame.type === 'action' && frame.status === 'completed') call.resolve(frame.data);
      else call.reject(frame);
    });
    ws.on('error', () => {});
  }
  action(channel, data) {
    return new Promise((resolve, reject) => {
      const id = this.nextId++;
      this.pending.set(id, { resolve, reject });
      this.ws.send(JSON.stringify({ type: 'action', channel, data, id }));
    });
  }
  add(a, b, cb) {
    this.addRaw({ a, b }, cb);
  }
  addRaw(data, cb) {
    this.action('add', data).then(
      (value) => cb(null, value),
      (err) => cb(err),
    );
  }
  get open() {
    return this.ws.readyState === WebSocket.OPEN;
  }
  abort() {
    this.ws.terminate();
  }
}

/** A connected plain client, or a rejection with the handshake's error. */
export function connectPlainWs(url) {
  return new Promise((resolve, reject) => {
    const ws = new WebSocket(url);
    ws.once('open', () => resolve(new PlainWsConn(ws)));
    ws.once('error', reject);
  });
}
