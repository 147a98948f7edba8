import 'reflect-metadata';
import { setImmediate as tick } from 'node:timers/promises';
import type { Server } from 'node:http';
import { Injectable, Module, type INestApplication } from '@nestjs/common';
import { NestFactory } from '@nestjs/core';
import { Test } from '@nestjs/testing';
import { IsInt } from 'class-validator';
import {
  Channel,
  Data,
  InjectChannel,
  OnSocketConnect,
  OnSocketDisconnect,
  SocketAction,
  SocketApiModule,
  SocketChannel,
  SocketConnection,
  type SocketApiModuleOptions,
} from '../../lib/index.js';
import { ClientErrorCode, createTestClient, SocketApiError } from '../../testing/index.js';
import type { WsConnection } from '../../lib/gateway/ws-connection.js';
import { waitFor } from '../support/wait.js';

/*
 * nestjs-socketapi/testing from its source, against apps made as a user's test makes them
 * (`Test.createTestingModule(...).createNestApplication()`, not listening): the connection, the
 * helpers, the failure messages, the faults, and what `app.close()` closes.
 */

class AddDto {
  @IsInt()
  a: number;

  @IsInt()
  b: number;
}

interface Contract {
  actions: {
    add: { data: AddDto; reply: number };
    say: { data: { text: string }; reply: null };
    hang: { data: undefined; reply: never };
  };
  channels: {
    chat: { data: undefined; payload: string };
    feed: { data: undefined; payload: { seq: number; pad: string } };
  };
}

@Injectable()
class Chat {
  readonly disconnects: Array<{ name: string; code: number }> = [];
  /** The server's side of each connection, by its `?name=` (WsConnection: `isOpen` is not public API). */
  readonly connections = new Map<string, WsConnection>();

  constructor(
    @InjectChannel('chat') private readonly chat: Channel<string>,
    @InjectChannel('feed') readonly feed: Channel<{ seq: number; pad: string }>,
  ) {}

  @SocketAction('add')
  add(@Data() { a, b }: AddDto): number {
    return a + b;
  }

  @SocketAction('say')
  say(@Data('text') text: string): null {
    this.chat.publish(text);
    return null;
  }

  @SocketAction('hang')
  hang(): Promise<never> {
    return new Promise(() => undefined);
  }

  @SocketChannel('chat', { initialData: true })
  welcome(): string {
    return 'welcome';
  }

  @SocketChannel('feed')
  feedChannel(): void {}

  @OnSocketConnect()
  connected(connection: SocketConnection): void {
    this.connections.set(String(connection.query.name), connection as WsConnection);
  }

  @OnSocketDisconnect()
  disconnected(connection: SocketConnection, code: number): void {
    this.disconnects.push({ name: String(connection.query.name), code });
  }
}

async function makeApp(options: SocketApiModuleOptions = {}): Promise<INestApplication> {
  const moduleRef = await Test.createTestingModule({
    imports: [SocketApiModule.forRoot(options)],
    providers: [Chat],
  }).compile();
  return moduleRef.createNestApplication({ logger: false });
}

describe('createTestClient', () => {
  let app: INestApplication | undefined;
  afterEach(async () => {
    await app?.close();
    app = undefined;
  });

  it('starts the app on a loopback port, connects to its path, and runs typed actions', async () => {
    app = await makeApp({ path: '/socket' });
    const client = await createTestClient<Contract>(app);
    expect(client.socketUrl).toMatch(/^ws:\/\/127\.0\.0\.1:\d+\/socket$/);
    expect((app.getHttpServer() as Server).listening).toBe(true);
    expect(await client.action('add', { a: 5, b: 3 })).toBe(8);
  });

  it('on an app it served and that is closed now: rejects with a message that says so, and starts nothing again', async () => {
    const closed = await makeApp();
    await (await createTestClient(closed)).action('add', { a: 1, b: 1 });
    await closed.close();
    await expect(createTestClient(closed)).rejects.toThrow('Test client: the app is closed');
    expect((closed.getHttpServer() as Server).listening).toBe(false);
  });

  it("closes every client it made when the app closes, before the app's server stops", async () => {
    app = await makeApp();
    const server = app.getHttpServer() as Server;
    const clients = await Promise.all([1, 2, 3].map((n) => createTestClient(app!, { query: { name: `c${n}` } })));
    const closedOne = clients[0];
    await closedOne.close();
    await app.close();
    const chat = app.get(Chat);
    app = undefined;
    expect(clients.map((client) => client.state.status)).toEqual(['closed', 'closed', 'closed']);
    // Closed by the clients (1000), not cut by the server's shutdown (1001) or the network (1006).
    expect(chat.disconnects.sort((x, y) => x.name.localeCompare(y.name))).toEqual([
      { name: 'c1', code: 1000 },
      { name: 'c2', code: 1000 },
      { name: 'c3', code: 1000 },
    ]);
    expect(server.listening).toBe(false);
  });

  it('closes them also for an app of NestFactory.create (a Proxy that ignores assignments), reconnecting ones too', async () => {
    app = await NestFactory.create(
      (() => {
        @Module({ imports: [SocketApiModule.forRoot()], providers: [Chat] })
        class AppModule {}
        return AppModule;
      })(),
      { logger: false },
    );
    const client = await createTestClient(app, { reconnect: {}, query: { name: 'factory' } });
    await app.close();
    expect(client.state.status).toBe('closed');
    expect(app.get(Chat).disconnects).toEqual([{ name: 'factory', code: 1000 }]);
    app = undefined;
  });

  it('expectError resolves with the error of the expected code, and fails otherwise, showing the frames', async () => {
    app = await makeApp();
    const client = await createTestClient<Contract>(app);
    const error = await client.expectError('VALIDATION_ERROR', 'add', { a: 1, b: 'two' as unknown as number });
    expect(error).toBeInstanceOf(SocketApiError);
    expect(error.errors).toEqual([{ path: 'b', messages: ['b must be an integer number'] }]);

    const replied = await client.expectError('VALIDATION_ERROR', 'add', { a: 1, b: 2 }).catch((e: Error) => e);
    expect((replied as Error).message).toContain("expected action 'add' to fail with VALIDATION_ERROR");
    expect((replied as Error).message).toContain('but it replied 3');
    expect((replied as Error).message).toMatch(/> \{"type":"action","channel":"add","id":2,"data":\{"a":1,"b":2\}\}/);

    const other = await client
      .expectError('FORBIDDEN', 'add', { a: 1, b: 'x' as unknown as number })
      .catch((e: Error) => e);
    expect((other as Error).message).toContain('but it failed with VALIDATION_ERROR');
  });

  it('a timeout fails with the last frames in and out', async () => {
    app = await makeApp();
    const client = await createTestClient<Contract>(app, { timeoutMs: 300 });
    await client.action('add', { a: 1, b: 1 });
    const error = (await client.action('hang').catch((e: unknown) => e)) as SocketApiError;
    expect(error.code).toBe(ClientErrorCode.TIMEOUT);
    const lines = error.message.split('\n');
    expect(lines.slice(1)).toEqual([
      'Last 4 frames (> out, < in, * connection):',
      expect.stringMatching(/ms \* open$/),
      expect.stringMatching(/ms > \{"type":"action","channel":"add","id":1,"data":\{"a":1,"b":1\}\}$/),
      expect.stringMatching(/ms < \{"type":"action","channel":"add","status":"completed","data":2,"id":1\}$/),
      expect.stringMatching(/ms > \{"type":"action","channel":"hang","id":2\}$/),
    ]);
    await expect(client.nextData('feed')).rejects.toThrow(
      /a payload on 'feed' did not happen within 300 ms\nLast \d frames[^]*> \{"type":"subscribe","channel":"feed","id":3\}/,
    );
  });

  it("subscribed() of a refused subscription rejects at once with the server's error, not after its timeout", async () => {
    app = await makeApp();
    const client = await createTestClient(app, { timeoutMs: 1500 });
    const started = Date.now();
    const refused = await client.subscribed('nope').catch((error: unknown) => error);
    expect(refused).toMatchObject({ code: 'CHANNEL_NOT_FOUND' });
    expect(Date.now() - started).toBeLessThan(1000);
  });

  it("nextData: the channel's initial data when it subscribes, then the next publication", async () => {
    app = await makeApp();
    const reader = await createTestClient<Contract>(app);
    const writer = await createTestClient<Contract>(app);
    expect(await reader.nextData('chat')).toBe('welcome');
    const next = reader.nextData('chat');
    await writer.action('say', { text: 'hello' });
    expect(await next).toBe('hello');

    // After `subscribed`, the initial data is behind: the next payload is the publication.
    const late = await createTestClient<Contract>(app);
    await late.subscribed('chat');
    const afterSubscribed = late.nextData('chat');
    await writer.action('say', { text: 'again' });
    expect(await afterSubscribed).toBe('again');
  });

  it('drop cuts the connection without a close frame: the server sees 1006', async () => {
    app = await makeApp();
    const client = await createTestClient<Contract>(app, { query: { name: 'dropped' } });
    await client.drop();
    const chat = app.get(Chat);
    await waitFor(() => chat.disconnects.length === 1, { what: 'the disconnect' });
    expect(chat.disconnects).toEqual([{ name: 'dropped', code: 1006 }]);
    // No reconnect by default: the drop stays visible.
    await waitFor(() => client.state.status === 'closed', { what: 'the client to stop' });
    await expect(client.action('add', { a: 1, b: 1 })).rejects.toMatchObject({ code: ClientErrorCode.CLOSED });
  });

  it('with reconnect options, a dropped client comes back and resubscribes', async () => {
    app = await makeApp();
    const reader = await createTestClient<Contract>(app, { reconnect: { initialDelayMs: 10 } });
    const writer = await createTestClient<Contract>(app);
    await reader.subscribed('chat');
    await reader.drop();
    await waitFor(() => reader.state.status === 'open', { what: 'the reconnection' });
    await reader.subscribed('chat');
    const next = reader.nextData('chat');
    await writer.action('say', { text: 'back' });
    expect(await next).toBe('back');
  });

  it('pauseReading makes a slow consumer: the server closes it with 1013, a reader that reads is served', async () => {
    app = await makeApp({ maxBufferedBytes: 64 * 1024 });
    const chat = app.get(Chat);
    const paused = await createTestClient<Contract>(app, { query: { name: 'paused' } });
    const reading = await createTestClient<Contract>(app, { query: { name: 'reading' } });
    await paused.subscribed('feed');
    await reading.subscribed('feed');
    paused.pauseReading();
    const pad = 'x'.repeat(1000);
    // Until the kernel's buffers are full and the server's send buffer passes 64 KiB: a few MB on loopback.
    const server = chat.connections.get('paused')!;
    for (let seq = 1; seq <= 50_000 && server.isOpen; seq++) {
      chat.feed.publish({ seq, pad });
      if (seq % 50 === 0) await tick();
    }
    // The server's verdict, before the paused client can read a byte of it.
    expect(server.isOpen).toBe(false);
    expect(chat.connections.get('reading')!.isOpen).toBe(true);
    paused.resumeReading();
    await waitFor(() => paused.state.status === 'closed', { what: 'the paused client to see the close' });
    expect(paused.frames.at(-1)?.text).toMatch(/^closed (1013 Slow consumer|1006)$/);
    const last = reading.nextData('feed');
    chat.feed.publish({ seq: 0, pad: 'last' });
    expect(await last).toEqual({ seq: 0, pad: 'last' });
  });
});
