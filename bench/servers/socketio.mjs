// socketio: the bench workload on plain Socket.IO 4 (no Nest), websocket transport only.
//   add(data, ack)       -> ack(a + b), or ack({ error }) when a or b is not an integer
//   subscribe(ack)       -> joins room `chat`, ack({ subscribed: 'chat' })
//   publish(data, ack)   -> io.to('chat').emit('data', data) (encoded once by the adapter), ack(true)
//
//   PORT=3003 HOST=127.0.0.1 node bench/servers/socketio.mjs
import http from 'node:http';
import { Server } from 'socket.io';

const port = Number(process.env.PORT ?? 3003);
const host = process.env.HOST ?? '127.0.0.1';

const server = http.createServer();
const io = new Server(server, {
  transports: ['websocket'],
  serveClient: false,
  perMessageDeflate: false,
  maxHttpBufferSize: 1 << 20,
});

io.on('connection', (socket) => {
  socket.on('add', (data, ack) => {
    if (typeof ack !== 'function') return;
    if (data === null || typeof data !== 'object' || !Number.isInteger(data.a) || !Number.isInteger(data.b)) {
      return ack({ error: "Invalid parameters for action 'add'" });
    }
    ack(data.a + data.b);
  });
  socket.on('subscribe', (ack) => {
    socket.join('chat');
    if (typeof ack === 'function') ack({ subscribed: 'chat' });
  });
  socket.on('unsubscribe', (ack) => {
    socket.leave('chat');
    if (typeof ack === 'function') ack({ unsubscribed: 'chat' });
  });
  socket.on('publish', (data, ack) => {
    io.to('chat').emit('data', data);
    if (typeof ack === 'function') ack(true);
  });
});

server.listen(port, host, () => console.log(`socketio listening on ws://${host}:${port}/`));
const stop = () => {
  io.close();
  setTimeout(() => process.exit(0), 1000).unref();
};
process.on('SIGTERM', stop);
process.on('SIGINT', stop);
