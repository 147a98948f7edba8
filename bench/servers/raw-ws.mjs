// raw-ws: the SocketAPI bench protocol written by hand on the `ws` package, no framework.
// It is the reference row of the benchmark: roughly the physical limit of Node + ws for this
// workload. Handles messages synchronously (so replies leave in order), checks by hand that
// `a` and `b` are integers, and serializes every publication once into a Buffer that is
// written to every subscriber.
//
//   PORT=3002 HOST=127.0.0.1 node bench/servers/raw-ws.mjs
import http from 'node:http';
import { WebSocketServer } from 'ws';

const port = Number(process.env.PORT ?? 3002);
const host = process.env.HOST ?? '127.0.0.1';

/** @type {Set<import('ws').WebSocket>} */
const chat = new Set();
const TEXT = { binary: false };

const idPart = (id) => (id === undefined ? '' : ',"id":' + JSON.stringify(id));

function error(ws, code, message, channel, id) {
  const frame = { type: 'error', message, code };
  if (channel !== undefined) frame.channel = channel;
  if (id !== undefined) frame.id = id;
  ws.send(JSON.stringify(frame));
}

function onMessage(ws, raw, isBinary) {
  if (isBinary) return error(ws, 'INVALID_MESSAGE', 'Binary frames are not supported.');
  let msg;
  try {
    msg = JSON.parse(raw);
  } catch {
    return error(ws, 'INVALID_MESSAGE', 'Invalid JSON.');
  }
  if (msg === null || typeof msg !== 'object' || Array.isArray(msg)) {
    return error(ws, 'INVALID_MESSAGE', 'Message must be a JSON object.');
  }
  const { type, channel, id } = msg;
  if (id !== undefined && typeof id !== 'string' && typeof id !== 'number') {
    return error(ws, 'INVALID_MESSAGE', 'Message id must be a string or a number.');
  }
  if (typeof type !== 'string' || type === '') {
    return error(ws, 'INVALID_MESSAGE', 'Message type is required.', undefined, id);
  }
  if (type === 'ping') return ws.send('{"type":"pong"' + idPart(id) + '}');
  if (typeof channel !== 'string' || channel === '') {
    return error(ws, 'INVALID_MESSAGE', 'Channel is required.', undefined, id);
  }
  const data = msg.data ?? {};
  switch (type) {
    case 'action':
      if (channel === 'add') {
        const a = data.a;
        const b = data.b;
        if (!Number.isInteger(a) || !Number.isInteger(b)) {
          return error(ws, 'VALIDATION_ERROR', "Invalid parameters for action 'add'", channel, id);
        }
        return ws.send('{"type":"action","channel":"add","status":"completed","data":' + (a + b) + idPart(id) + '}');
      }
      if (channel === 'publish') {
        const frame = Buffer.from('{"type":"data","channel":"chat","data":' + JSON.stringify(data) + '}');
        for (const sub of chat) if (sub.readyState === 1) sub.send(frame, TEXT);
        return ws.send('{"type":"action","channel":"publish","status":"completed"' + idPart(id) + '}');
      }
      return error(ws, 'ACTION_NOT_FOUND', `Action '${channel}' not found.`, channel, id);
    case 'subscribe':
      if (channel !== 'chat') {
        return error(ws, 'CHANNEL_NOT_FOUND', `Channel '${channel}' not found.`, channel, id);
      }
      chat.add(ws);
      return ws.send('{"type":"subscribed","channel":"chat"' + idPart(id) + '}');
    case 'unsubscribe':
      if (channel === 'chat') chat.delete(ws);
      return ws.send('{"type":"unsubscribed","channel":' + JSON.stringify(channel) + idPart(id) + '}');
    default:
      return error(ws, 'UNKNOWN_TYPE', `Unknown message type: ${type}.`, channel, id);
  }
}

const server = http.createServer((_req, res) => {
  res.writeHead(426, { 'content-type': 'text/plain' });
  res.end('WebSocket only\n');
});
const wss = new WebSocketServer({ server, perMessageDeflate: false, maxPayload: 1 << 20 });
wss.on('connection', (ws) => {
  ws.on('message', (raw, isBinary) => onMessage(ws, raw, isBinary));
  ws.on('close', () => chat.delete(ws));
  ws.on('error', () => {});
});

server.listen(port, host, () => console.log(`raw-ws listening on ws://${host}:${port}/`));
const stop = () => {
  for (const ws of wss.clients) ws.terminate();
  server.close(() => process.exit(0));
  setTimeout(() => process.exit(0), 1000).unref();
};
process.on('SIGTERM', stop);
process.on('SIGINT', stop);
