// Client adapters of the load generator, one per wire protocol. Every adapter gives a connection
// object with the same callback API, kept cheap per message:
//   conn.add(a, b, cb(err, value))       conn.subscribe(cb(err))
//   conn.publish(obj, json, cb(err))     conn.onDelivery(fn(ts, seq))  (fast path for fan-out)
//   conn.onData(fn(data))                (decoded publications, for the conformance check)
//   conn.abort()                          (RST, no close handshake: no TIME_WAIT pile-up)
// `ws`-based adapters use the `ws` client with permessage-deflate off, no UTF-8 validation, an
// all-zero masking key (ws then skips the XOR pass) and corked sockets that are flushed once per
// event-loop turn, so replies that arrive together leave as one write.
import WebSocket from 'ws';
import { io as ioClient } from 'socket.io-client';

const zeroMask = (mask) => {
  mask[0] = 0;
  mask[1] = 0;
  mask[2] = 0;
  mask[3] = 0;
};

const WS_OPTIONS = {
  perMessageDeflate: false,
  skipUTF8Validation: true,
  generateMask: zeroMask,
  handshakeTimeout: 30000,
  maxPayload: 64 << 20,
};

// ---- batched writes: cork a socket on its first send in this turn, uncork all in setImmediate
const dirty = [];
let flushScheduled = false;
/** Corks conn.sock until the end of this event-loop turn (conn has `sock` and `corked`). */
function cork(conn) {
  if (conn.corked || conn.sock === null) return;
  conn.corked = true;
  conn.sock.cork();
  dirty.push(conn);
  if (!flushScheduled) {
    flushScheduled = true;
    setImmediate(flush);
  }
}
function flush() {
  flushScheduled = false;
  for (let i = 0; i < dirty.length; i++) {
    const c = dirty[i];
    c.corked = false;
    if (!c.sock.destroyed) c.sock.uncork();
  }
  dirty.length = 0;
}

// ---- cheap extraction of `"ts":<number>` and `"seq":<integer>` from a publication frame
function readSeq(s) {
  const i = s.indexOf('"seq":');
  if (i < 0) return -1;
  let n = 0;
  let p = i + 6;
  let c = s.charCodeAt(p);
  while (c >= 48 && c <= 57) {
    n = n * 10 + (c - 48);
    c = s.charCodeAt(++p);
  }
  return n;
}
function readTs(s) {
  const i = s.indexOf('"ts":');
  if (i < 0) return NaN;
  let p = i + 5;
  let c = s.charCodeAt(p);
  // digits . - + e E
  while ((c >= 48 && c <= 57) || c === 46 || c === 45 || c === 43 || c === 101 || c === 69) c = s.charCodeAt(++p);
  return Number(s.slice(i + 5, p));
}

// Replies of the hot path are recognised without JSON.parse (key order does not matter): the
// frame is read as a one-byte string and searched with String#indexOf. Anything else (errors,
// publications, unusual shapes) goes through JSON.parse.
const NOT_FAST = Symbol('not fast');
/** The integer after `key` (e.g. `"data":`) when it ends at `,` or `}`; undefined when key is absent. */
function fastInt(s, key) {
  const i = s.indexOf(key);
  if (i < 0) return undefined;
  let p = i + key.length;
  let neg = false;
  if (s.charCodeAt(p) === 45) {
    neg = true;
    p++;
  }
  const start = p;
  let n = 0;
  let c = s.charCodeAt(p);
  while (c >= 48 && c <= 57) {
    n = n * 10 + (c - 48);
    c = s.charCodeAt(++p);
  }
  if (p === start || p - start > 15 || (c !== 44 && c !== 125)) return NOT_FAST;
  return neg ? -n : n;
}

class WsConn {
  constructor(ws) {
    this.ws = ws;
    this.sock = ws._socket;
    this.corked = false;
    this.unmatched = 0;
    this.deliver = null; // fast path: (ts, seq) for every frame once set
    this.dataHandler = null;
    ws.on('message', (buf) => {
      if (this.deliver !== null) {
        const s = buf.latin1Slice(0, buf.length);
        return this.deliver(readTs(s), readSeq(s));
      }
      this.onMessage(buf);
    });
    ws.on('error', () => {});
  }
  sendText(str) {
    cork(this);
    this.ws.send(str);
  }
  onDelivery(fn) {
    this.deliver = fn;
  }
  onData(fn) {
    this.dataHandler = fn;
  }
  get open() {
    return this.ws.readyState === WebSocket.OPEN;
  }
  abort() {
    try {
      if (this.sock && typeof this.sock.resetAndDestroy === 'function' && !this.sock.destroyed) {
        this.sock.resetAndDestroy();
      } else {
        this.ws.terminate();
      }
    } catch {
      /* already gone */
    }
  }
}

function openWs(url) {
  return new Promise((resolve, reject) => {
    const ws = new WebSocket(url, WS_OPTIONS);
    const fail = (err) => {
      ws.removeAllListeners();
      ws.on('error', () => {});
      try {
        ws.terminate();
      } catch {
        /* ignore */
      }
      reject(err instanceof Error ? err : new Error(String(err)));
    };
    ws.once('error', fail);
    ws.once('unexpected-response', (_req, res) => fail(new Error(`HTTP ${res.statusCode} on upgrade`)));
    ws.once('open', () => {
      ws.removeListener('error', fail);
      resolve(ws);
    });
  });
}

/**
 * SocketAPI protocol: `{type, channel, data, id}`, replies matched by id. `channel` / `publishAction`:
 * which channel `subscribe` joins and which action `publish` calls (default `chat` / `publish`).
 */
class SocketApiConn extends WsConn {
  constructor(ws, { channel = 'chat', publishAction = 'publish' } = {}) {
    super(ws);
    this.nextId = 1;
    this.pending = new Map();
    this.subscribeHead = '{"type":"subscribe","channel":' + JSON.stringify(channel) + ',"id":';
    this.publishHead = '{"type":"action","channel":' + JSON.stringify(publishAction) + ',"data":';
  }
  onMessage(buf) {
    const s = buf.latin1Slice(0, buf.length);
    if (s.indexOf('"status":"completed"') >= 0 && s.indexOf('"type":"action"') >= 0) {
      const data = fastInt(s, '"data":');
      const id = fastInt(s, '"id":');
      const cb = data === NOT_FAST || typeof id !== 'number' ? undefined : this.pending.get(id);
      if (cb !== undefined) {
        this.pending.delete(id);
        return cb(null, data);
      }
    }
    const msg = JSON.parse(buf);
    if (msg.type === 'data') {
      if (this.dataHandler) this.dataHandler(msg.data, msg);
      return;
    }
    const cb = this.pending.get(msg.id);
    if (cb === undefined) {
      this.unmatched++;
      return;
    }
    this.pending.delete(msg.id);
    if (msg.type === 'error' || (msg.type === 'action' && msg.status !== 'completed')) cb(msg);
    else cb(null, msg.data, msg);
  }
  add(a, b, cb) {
    const id = this.nextId++;
    this.pending.set(id, cb);
    this.sendText('{"type":"action","channel":"add","data":{"a":' + a + ',"b":' + b + '},"id":' + id + '}');
  }
  /** For the conformance check: any data. */
  addRaw(data, cb) {
    const id = this.nextId++;
    this.pending.set(id, cb);
    this.sendText(JSON.stringify({ type: 'action', channel: 'add', data, id }));
  }
  subscribe(cb) {
    const id = this.nextId++;
    this.pending.set(id, (err, _data, msg) => cb(err ?? (msg.type === 'subscribed' ? null : msg), msg));
    this.sendText(this.subscribeHead + id + '}');
  }
  publish(_obj, json, cb) {
    const id = this.nextId++;
    this.pending.set(id, cb);
    this.sendText(this.publishHead + json + ',"id":' + id + '}');
  }
}

/** Nest's `{event, data}` protocol (WsAdapter): no ids, replies matched FIFO per connection. */
class NestConn extends WsConn {
  constructor(ws) {
    super(ws);
    this.fifo = [];
  }
  onMessage(buf) {
    const s = buf.latin1Slice(0, buf.length);
    if (s.indexOf('"event":"add"') >= 0) {
      const data = fastInt(s, '"data":');
      if (data !== NOT_FAST && data !== undefined && this.fifo.length > 0) return this.fifo.shift()(null, data);
    }
    const msg = JSON.parse(buf);
    if (msg.event === 'data') {
      if (this.dataHandler) this.dataHandler(msg.data, msg);
      return;
    }
    const cb = this.fifo.shift();
    if (cb === undefined) {
      this.unmatched++;
      return;
    }
    if (msg.event === 'exception') cb(msg.data ?? msg);
    else cb(null, msg.data, msg);
  }
  add(a, b, cb) {
    this.fifo.push(cb);
    this.sendText('{"event":"add","data":{"a":' + a + ',"b":' + b + '}}');
  }
  addRaw(data, cb) {
    this.fifo.push(cb);
    this.sendText(JSON.stringify({ event: 'add', data }));
  }
  subscribe(cb) {
    this.fifo.push((err, _data, msg) => cb(err ?? (msg.event === 'subscribed' ? null : msg), msg));
    this.sendText('{"event":"subscribe","data":{}}');
  }
  publish(_obj, json, cb) {
    this.fifo.push(cb);
    this.sendText('{"event":"publish","data":' + json + '}');
  }
}

/**
 * Socket.IO 4 through socket.io-client (websocket transport only): acks and a `data` event. The
 * transport's socket is corked the same way as the ws adapters' sockets.
 */
class SocketIoConn {
  constructor(socket) {
    this.socket = socket;
    this.unmatched = 0;
    this.dataHandler = null;
    this.corked = false;
    const raw = socket.io.engine?.transport?.ws?._socket;
    this.sock = raw && typeof raw.cork === 'function' ? raw : null;
  }
  add(a, b, cb) {
    cork(this);
    this.socket.emit('add', { a, b }, (res) =>
      typeof res === 'number' ? cb(null, res) : cb(res ?? { error: 'empty ack' }),
    );
  }
  addRaw(data, cb) {
    this.socket.emit('add', data, (res) =>
      typeof res === 'number' ? cb(null, res) : cb(res ?? { error: 'empty ack' }),
    );
  }
  subscribe(cb) {
    cork(this);
    this.socket.emit('subscribe', (res) => cb(null, res));
  }
  publish(obj, _json, cb) {
    cork(this);
    this.socket.emit('publish', obj, (res) => cb(null, res));
  }
  onDelivery(fn) {
    this.socket.on('data', (d) => fn(d.ts, d.seq));
  }
  onData(fn) {
    this.socket.on('data', (d) => fn(d));
  }
  get open() {
    return this.socket.connected;
  }
  abort() {
    try {
      const raw = this.socket.io.engine?.transport?.ws;
      const sock = raw?._socket;
      if (sock && typeof sock.resetAndDestroy === 'function' && !sock.destroyed) sock.resetAndDestroy();
    } catch {
      /* ignore */
    }
    try {
      this.socket.io.reconnection(false);
      this.socket.disconnect();
    } catch {
      /* ignore */
    }
  }
}

function openSocketIo(url) {
  return new Promise((resolve, reject) => {
    const socket = ioClient(url, {
      transports: ['websocket'],
      forceNew: true,
      reconnection: false,
      perMessageDeflate: false,
      timeout: 30000,
    });
    socket.once('connect', () => {
      socket.off('connect_error');
      resolve(new SocketIoConn(socket));
    });
    socket.once('connect_error', (err) => {
      socket.close();
      reject(err);
    });
  });
}

export const adapters = {
  socketapi: async (url, options) => new SocketApiConn(await openWs(url), options),
  nest: async (url) => new NestConn(await openWs(url)),
  socketio: openSocketIo,
};
