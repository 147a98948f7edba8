import 'reflect-metadata';
import { jest } from '@jest/globals';
import { firstValueFrom } from 'rxjs';
import type { AddressInfo } from 'node:net';
import { WebSocket, WebSocketServer } from 'ws';
import { SocketApiClient } from '../../client/src/index.js';
import { contractHash, type ApiContract } from '../../sample/api-contract.js';
import { AppModule } from '../../sample/app.module.js';
import { sampleClient } from '../../sample/typed-client.js';
import { useCleanup } from '../support/cleanup.js';
import { startApp, type TestApp } from '../support/test-app.js';
import { waitFor } from '../support/wait.js';
import { TestClient } from '../support/ws-client.js';

const OTHER_HASH = 'f'.repeat(64);

describe('the contract hash exchange with the sample app', () => {
  const cleanup = useCleanup();
  let t: TestApp;
  let warn: jest.SpiedFunction<typeof console.warn>;

  beforeEach(async () => {
    t = cleanup.track(await startApp({ imports: [AppModule] }));
    // The client's warning goes to the console: recorded here (and kept out of the test output).
    warn = jest.spyOn(console, 'warn').mockImplementation(() => undefined);
    cleanup.add(() => warn.mockRestore());
  });

  it('answers {"type":"contract"} with the hash of the generated file, echoing the id', async () => {
    const socket = cleanup.track(await TestClient.open(`${t.url}/`));
    socket.send({ type: 'contract', id: 7 });
    socket.send({ type: 'contract', id: 'x' });
    socket.send({ type: 'contract' });
    expect(await socket.next(3)).toEqual([
      { type: 'contract', hash: contractHash, id: 7 },
      { type: 'contract', hash: contractHash, id: 'x' },
      { type: 'contract', hash: contractHash },
    ]);
  });

  it('a client built with the same contract reports nothing', async () => {
    const client = cleanup.track(sampleClient(`${t.url}/`));
    const mismatches: unknown[] = [];
    client.contractMismatch$.subscribe((mismatch) => mismatches.push(mismatch));
    // The question goes out at open, before this action: its answer has been read when the reply is.
    const sum: number = await client.action('add_numbers', { a: 2, b: 3 });
    expect(sum).toBe(5);
    expect(mismatches).toEqual([]);
    expect(warn).not.toHaveBeenCalled();
  });

  it('a client built with another contract reports the mismatch, warns, and keeps working', async () => {
    const client = cleanup.track(new SocketApiClient<ApiContract>(`${t.url}/`, { contractHash: OTHER_HASH }));
    expect(await firstValueFrom(client.contractMismatch$)).toEqual({
      clientHash: OTHER_HASH,
      serverHash: contractHash,
    });
    expect(warn).toHaveBeenCalledTimes(1);
    expect(String(warn.mock.calls[0][0])).toContain(contractHash.slice(0, 12));
    expect(await client.action('add_numbers', { a: 1, b: 1 })).toBe(2);
    expect(client.state).toEqual({ status: 'open' });
  });

  it('asks again at each connection (a server redeployed under a running page)', async () => {
    const sockets: WebSocket[] = [];
    // The client's sockets, recorded, so that the test can cut one as the network would.
    class RecordedWebSocket extends WebSocket {
      constructor(url: string, protocols?: string | string[]) {
        super(url, protocols);
        sockets.push(this);
      }
    }
    const client = cleanup.track(
      new SocketApiClient<ApiContract>(`${t.url}/`, {
        WebSocket: RecordedWebSocket,
        contractHash: OTHER_HASH,
        reconnect: { initialDelayMs: 50 },
      }),
    );
    const mismatches: unknown[] = [];
    client.contractMismatch$.subscribe((mismatch) => mismatches.push(mismatch));
    await waitFor(() => mismatches.length === 1);
    sockets[0].terminate();
    await waitFor(() => mismatches.length === 2);
    expect(sockets).toHaveLength(2);
    expect(await client.action('add_numbers', { a: 4, b: 4 })).toBe(8);
  });
});

describe('the contract check against a server older than the exchange', () => {
  const cleanup = useCleanup();

  it('takes its UNKNOWN_TYPE as "nothing known": no mismatch, no error, the connection goes on', async () => {
    // Answers as PROTOCOL.md says a server without the exchange does: `contract` is an unknown type.
    const server = new WebSocketServer({ port: 0, host: '127.0.0.1' });
    cleanup.add(() => new Promise((resolve) => server.close(resolve)));
    server.on('connection', (socket) =>
      socket.on('message', (text: Buffer) => {
        const frame = JSON.parse(text.toString()) as { type: string; channel?: string; id?: number };
        if (frame.type === 'action') {
          socket.send(
            JSON.stringify({ type: 'action', channel: frame.channel, status: 'completed', data: 1, id: frame.id }),
          );
        } else if (frame.type === 'contract') {
          socket.send(
            JSON.stringify({
              type: 'error',
              code: 'UNKNOWN_TYPE',
              message: 'Unknown message type: contract.',
              id: frame.id,
            }),
          );
        }
      }),
    );
    await new Promise((resolve) => server.once('listening', resolve));
    const { port } = server.address() as AddressInfo;
    const warn = jest.spyOn(console, 'warn').mockImplementation(() => undefined);
    cleanup.add(() => warn.mockRestore());
    const client = cleanup.track(sampleClient(`ws://127.0.0.1:${port}/`));
    const mismatches: unknown[] = [];
    client.contractMismatch$.subscribe((mismatch) => mismatches.push(mismatch));
    expect(await client.action('add_numbers', { a: 0, b: 1 })).toBe(1);
    expect([mismatches, client.state, warn.mock.calls]).toEqual([[], { status: 'open' }, []]);
  });
});
