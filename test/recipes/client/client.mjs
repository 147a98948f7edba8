// A small SocketAPI client: actions as Promises, channels as callbacks.
// Browsers and Node 22+ have a global WebSocket; on Node 20: npm i ws, then import { WebSocket } from 'ws';
function connect(url) {
  const socket = new WebSocket(url);
  const pending = new Map(); // id → { resolve, reject } of a request waiting for its reply
  const listeners = new Map(); // channel → callback for its data
  let lastId = 0;

  socket.addEventListener('message', (event) => {
    const message = JSON.parse(event.data);
    if (message.type === 'data') return listeners.get(message.channel)?.(message.data);
    const request = pending.get(message.id);
    if (!request) return console.warn('Unmatched message', message); // e.g. a limit's error without id
    pending.delete(message.id);
    if (message.type === 'error') request.reject(Object.assign(new Error(message.message), message));
    else request.resolve(message.data);
  });
  socket.addEventListener('close', () => {
    for (const request of pending.values()) request.reject(new Error('Connection closed'));
    pending.clear();
  });

  // Every request carries an id, so that its reply (or error) is matched to it.
  function request(type, channel, data) {
    const id = ++lastId;
    return new Promise((resolve, reject) => {
      pending.set(id, { resolve, reject });
      socket.send(JSON.stringify({ type, channel, data, id }));
    });
  }

  const client = {
    call: (action, data) => request('action', action, data),
    subscribe(channel, onData, data) {
      listeners.set(channel, onData); // set first: the initial data comes right after the reply
      return request('subscribe', channel, data).catch((error) => {
        listeners.delete(channel);
        throw error;
      });
    },
    unsubscribe(channel) {
      listeners.delete(channel);
      return request('unsubscribe', channel);
    },
    close: () => socket.close(),
  };
  return new Promise((resolve, reject) => {
    socket.addEventListener('open', () => resolve(client));
    socket.addEventListener('error', () => reject(new Error(`Cannot connect to ${url}`)));
  });
}

const api = await connect('ws://localhost:3000/');
console.log('add_numbers:', await api.call('add_numbers', { a: 5, b: 3 })); // add_numbers: 8
await api.subscribe('chat', (data) => console.log('chat:', data.message)); // chat: Welcome
await api.call('send_message', { message: 'Hello everyone!' }); // chat: Hello everyone!
try {
  await api.call('send_message', { message: '' });
} catch (error) {
  console.log(error.code, error.errors[0].messages[0]); // VALIDATION_ERROR message should not be empty
}
api.close();
