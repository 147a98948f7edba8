// Runs inside a network namespace of its own (see netns.ts), as a child with an IPC channel: it
// opens listening sockets there for the parent (which serves on them), and makes HTTP requests
// there from the addresses the parent names. Nothing here reaches the machine's own network.
import { request } from 'node:http';
import { createServer } from 'node:net';

process.on('message', (message) => {
  if (message.type === 'listen') {
    const server = createServer();
    server.listen(0, message.host, () => {
      const { port } = server.address();
      // The parent accepts on it from now on; our copy is closed once handed over.
      process.send({ type: 'listening', id: message.id, port }, server, () => server.close());
    });
    server.on('error', (error) => process.send({ type: 'failed', id: message.id, error: error.message }));
    return;
  }
  if (message.type === 'post') {
    const { id, from, host, port, path, headers, body } = message;
    const req = request({ host, port, path, method: 'POST', localAddress: from, headers }, (res) => {
      let text = '';
      res.setEncoding('utf8');
      res.on('data', (chunk) => (text += chunk));
      res.on('end', () => process.send({ type: 'response', id, status: res.statusCode, body: text }));
    });
    req.on('error', (error) => process.send({ type: 'failed', id, error: error.message }));
    req.end(body);
  }
});
process.on('disconnect', () => process.exit(0));
process.send({ type: 'ready' });
