const socket = new WebSocket('ws://localhost:3000/');
socket.addEventListener('open', () => {
  socket.send(JSON.stringify({ type: 'action', channel: 'add_numbers', data: { a: 5, b: 3 }, id: 1 }));
  socket.send(JSON.stringify({ type: 'subscribe', channel: 'chat' }));
});
socket.addEventListener('message', (event) => console.log(event.data));
