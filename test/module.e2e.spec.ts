import 'reflect-metadata';
import { Inject, Injectable, Module, Scope, type Provider } from '@nestjs/common';
import { WsAdapter } from '@nestjs/platform-ws';
import { SubscribeMessage, WebSocketGateway } from '@nestjs/websockets';
import { Test } from '@nestjs/testing';
import { firstValueFrom, take, toArray } from 'rxjs';
import {
  Channel,
  Data,
  InjectChannel,
  OnSocketConnect,
  SocketAction,
  SocketApiModule,
  SocketChannel,
} from '../lib/index.js';
import { ChannelHub } from '../lib/channels/channel-hub.js';
import { SocketApiExplorer } from '../lib/discovery/socket-api.explorer.js';
import { SocketApiRegistry } from '../lib/registry/socket-api.registry.js';
import { SocketServer } from '../lib/gateway/socket-server.js';
import { useCleanup } from './support/cleanup.js';
import { startApp } from './support/test-app.js';
import { waitFor } from './support/wait.js';
import { TestClient } from './support/ws-client.js';

@Injectable()
class RoomService {
  @SocketChannel('room', { initialData: true })
  room(@Data('topic') topic: string = 'lobby') {
    return { topic };
  }

  @SocketAction('slow_echo')
  async slowEcho(@Data('text') text: string, @Data('ms') ms: number) {
    await new Promise((resolve) => setTimeout(resolve, ms));
    return text;
  }
}

/** Publishes through the injected Channel object rather than the method. */
@Injectable()
class Announcer {
  constructor(@InjectChannel('room') readonly channel: Channel<{ topic: string }>) {}

  @SocketAction('announce')
  announce(@Data('topic') topic: string) {
    this.channel.publish({ topic });
    return this.channel.subscriberCount;
  }
}

/** Another provider calling the channel method publishes too. */
@Injectable()
class RemoteCaller {
  constructor(private readonly rooms: RoomService) {}

  @SocketAction('call_channel')
  async callChannel(@Data('topic') topic: string) {
    return this.rooms.room(topic);
  }
}

describe('SocketApiModule', () => {
  const cleanup = useCleanup();

  describe('channels from server code', () => {
    it('publish via @InjectChannel, next(), a channel method called by another provider, and asObservable()', async () => {
      const t = cleanup.track(
        await startApp({ imports: [SocketApiModule.forRoot()], providers: [RoomService, Announcer, RemoteCaller] }),
      );
      const channel = t.app.get(Announcer).channel;
      const observed = firstValueFrom(channel.asObservable().pipe(take(3), toArray()));
      const subscriber = await TestClient.open(t.url);
      subscriber.send({ type: 'subscribe', channel: 'room' });
      expect(await subscriber.next(2)).toEqual([
        { type: 'subscribed', channel: 'room' },
        { type: 'data', channel: 'room', data: { topic: 'lobby' } },
      ]);
      expect(channel.subscriberCount).toBe(1);

      const caller = await TestClient.open(t.url);
      caller.send({ type: 'action', channel: 'announce', data: { topic: 'one' } });
      expect(await caller.next()).toEqual([{ type: 'action', channel: 'announce', status: 'completed', data: 1 }]);
      channel.next({ topic: 'two' });
      caller.send({ type: 'action', channel: 'call_channel', data: { topic: 'three' } });
      expect(await caller.next()).toEqual([
        { type: 'action', channel: 'call_channel', status: 'completed', data: { topic: 'three' } },
      ]);

      expect(await subscriber.next(3)).toEqual([
        { type: 'data', channel: 'room', data: { topic: 'one' } },
        { type: 'data', channel: 'room', data: { topic: 'two' } },
        { type: 'data', channel: 'room', data: { topic: 'three' } },
      ]);
      expect(await observed).toEqual([{ topic: 'one' }, { topic: 'two' }, { topic: 'three' }]);
    });

    it('publishing to a channel no @SocketChannel declares throws', async () => {
      @Injectable()
      class Typo {
        constructor(@InjectChannel('romo') readonly channel: Channel) {}
      }
      const t = cleanup.track(await startApp({ imports: [SocketApiModule.forRoot()], providers: [RoomService, Typo] }));
      expect(() => t.app.get(Typo).channel.publish({})).toThrow("Channel 'romo' is not declared");
    });
  });

  describe('discovery', () => {
    let t: Awaited<ReturnType<typeof startApp>> | undefined;
    const clients: TestClient[] = [];

    afterEach(async () => {
      for (const client of clients.splice(0)) await client.close().catch(() => undefined);
      await t?.close();
      t = undefined;
    });

    it('explore() returns what the app declares, as data, and registers nothing itself', async () => {
      @Injectable()
      class Hooks {
        @OnSocketConnect()
        connected() {}
      }
      t = await startApp({ imports: [SocketApiModule.forRoot()], providers: [RoomService, Announcer, Hooks] });
      const registry = t.app.get(SocketApiRegistry);
      const registered = [[...registry.actions.keys()], [...registry.channels.keys()]];

      const found = t.app.get(SocketApiExplorer).explore();
      expect(
        found.actions.map(({ target, metadata }) => [target.classRef.name, target.methodName, metadata.name]),
      ).toEqual([
        ['RoomService', 'slowEcho', 'slow_echo'],
        ['Announcer', 'announce', 'announce'],
      ]);
      expect(found.channels).toHaveLength(1);
      const [room] = found.channels;
      expect(room.metadata).toEqual({ name: 'room', initialData: true });
      // The method as declared, not the publishing wrapper the instance got.
      // eslint-disable-next-line @typescript-eslint/unbound-method -- compared by identity, never called
      expect(room.target.method).toBe(RoomService.prototype.room);
      expect(room.target.instance).toBe(t.app.get(RoomService));
      expect(found.connectHooks.map((hook) => hook.name)).toEqual(['Hooks.connected()']);
      expect(found.disconnectHooks).toEqual([]);
      // Exploring again (it registered nothing) neither throws for duplicates nor changes the routing table.
      t.app.get(SocketApiExplorer).explore();
      expect([[...registry.actions.keys()], [...registry.channels.keys()]]).toEqual(registered);
    });

    it('a channel method called by server code publishes; run for a subscriber, it answers that subscriber only', async () => {
      t = await startApp({ imports: [SocketApiModule.forRoot()], providers: [RoomService] });
      const first = await TestClient.open(t.url);
      const second = await TestClient.open(t.url);
      clients.push(first, second);
      first.send({ type: 'subscribe', channel: 'room' });
      expect(await first.next(2)).toEqual([
        { type: 'subscribed', channel: 'room' },
        { type: 'data', channel: 'room', data: { topic: 'lobby' } },
      ]);
      second.send({ type: 'subscribe', channel: 'room', data: { topic: 'mine' } });
      expect(await second.next(2)).toEqual([
        { type: 'subscribed', channel: 'room' },
        { type: 'data', channel: 'room', data: { topic: 'mine' } },
      ]);
      expect(t.app.get(RoomService).room('news')).toEqual({ topic: 'news' });
      const published = { type: 'data', channel: 'room', data: { topic: 'news' } };
      // The first subscriber never saw the second's initial data: only the publication.
      expect(await first.next()).toEqual([published]);
      expect(await second.next()).toEqual([published]);
      expect(first.frames).toEqual([]);
    });
  });

  describe('forRootAsync', () => {
    @Injectable()
    class Config {
      readonly socketPath = '/realtime';
    }

    @Module({ providers: [Config], exports: [Config] })
    class ConfigModule {}

    it('takes its options from a factory with injected dependencies', async () => {
      const t = cleanup.track(
        await startApp({
          imports: [
            SocketApiModule.forRootAsync({
              imports: [ConfigModule],
              inject: [Config],
              useFactory: (config: Config) => ({ path: config.socketPath }),
            }),
          ],
          providers: [RoomService],
        }),
      );
      const client = await TestClient.open(`${t.url}/realtime`);
      client.send({ type: 'ping', id: 1 });
      expect(await client.next()).toEqual([{ type: 'pong', id: 1 }]);
      await client.close();
      await expect(TestClient.open(`${t.url}/`)).rejects.toThrow();
    });
  });

  describe('options', () => {
    it('concurrency above 1 lets replies overtake each other; clients match them by id', async () => {
      const t = cleanup.track(
        await startApp({ imports: [SocketApiModule.forRoot({ concurrency: 4 })], providers: [RoomService] }),
      );
      const client = await TestClient.open(t.url);
      client.send({ type: 'action', channel: 'slow_echo', data: { text: 'slow', ms: 80 }, id: 1 });
      client.send({ type: 'action', channel: 'slow_echo', data: { text: 'fast', ms: 1 }, id: 2 });
      expect(await client.next(2)).toEqual([
        { type: 'action', channel: 'slow_echo', status: 'completed', data: 'fast', id: 2 },
        { type: 'action', channel: 'slow_echo', status: 'completed', data: 'slow', id: 1 },
      ]);
    });

    it('a frame larger than maxPayload closes the connection with 1009; others are unaffected', async () => {
      const t = cleanup.track(
        await startApp({ imports: [SocketApiModule.forRoot({ maxPayload: 1024 })], providers: [RoomService] }),
      );
      const big = await TestClient.open(t.url);
      const other = await TestClient.open(t.url);
      big.send({ type: 'action', channel: 'slow_echo', data: { text: 'x'.repeat(2000), ms: 0 } });
      expect(await big.closed()).toBe(1009);
      other.send({ type: 'action', channel: 'slow_echo', data: { text: 'x'.repeat(900), ms: 0 } });
      expect(await other.next()).toEqual([
        { type: 'action', channel: 'slow_echo', status: 'completed', data: 'x'.repeat(900) },
      ]);
    });
  });

  describe('lifecycle', () => {
    it('app.close() closes every socket with 1001', async () => {
      const t = cleanup.track(await startApp({ imports: [SocketApiModule.forRoot()], providers: [RoomService] }));
      const clients = await Promise.all([TestClient.open(t.url), TestClient.open(t.url)]);
      await t.close();
      expect(await Promise.all(clients.map((client) => client.closed()))).toEqual([1001, 1001]);
    });

    it('after 1,000 clients connect, subscribe and leave, nothing of them is left', async () => {
      const t = cleanup.track(await startApp({ imports: [SocketApiModule.forRoot()], providers: [RoomService] }));
      const gateway = t.app.get(SocketServer);
      const room = t.app.get(ChannelHub).get('room');
      for (let batch = 0; batch < 10; batch++) {
        const clients = await Promise.all(Array.from({ length: 100 }, () => TestClient.open(t.url)));
        for (const client of clients) client.send({ type: 'subscribe', channel: 'room' });
        await Promise.all(clients.map((client) => client.next(2)));
        expect(room.subscriberCount).toBe(100);
        // Half leave cleanly, half drop the TCP connection.
        await Promise.all(
          clients.map((client, i) => (i % 2 ? client.close() : (client.socket.terminate(), client.closed()))),
        );
        await waitFor(() => gateway.connectionCount === 0);
      }
      expect(room.subscriberCount).toBe(0);
      expect(gateway.connectionCount).toBe(0);
    });

    it('a client that leaves while its subscribe is running is not added', async () => {
      @Injectable()
      class SlowChannel {
        @SocketChannel('slow')
        async slow() {
          await new Promise((resolve) => setTimeout(resolve, 50));
        }
      }
      const t = cleanup.track(await startApp({ imports: [SocketApiModule.forRoot()], providers: [SlowChannel] }));
      const client = await TestClient.open(t.url);
      client.send({ type: 'subscribe', channel: 'slow' });
      client.socket.terminate();
      await new Promise((resolve) => setTimeout(resolve, 100));
      expect(t.app.get(ChannelHub).get('slow').subscriberCount).toBe(0);
    });
  });

  describe('alongside Nest gateways', () => {
    @WebSocketGateway({ path: '/nest' })
    class EchoGateway {
      @SubscribeMessage('echo')
      echo(_client: unknown, data: unknown) {
        return { event: 'echo', data };
      }
    }

    it('shares the app WsAdapter: both paths are served', async () => {
      const t = cleanup.track(
        await startApp({ imports: [SocketApiModule.forRoot()], providers: [RoomService, EchoGateway] }, (app) => {
          app.useWebSocketAdapter(new WsAdapter(app));
        }),
      );
      const ours = await TestClient.open(t.url);
      const nest = await TestClient.open(`${t.url}/nest`);
      ours.send({ type: 'ping', id: 'a' });
      nest.send({ event: 'echo', data: 'b' });
      expect(await ours.next()).toEqual([{ type: 'pong', id: 'a' }]);
      expect(await nest.next()).toEqual([{ event: 'echo', data: 'b' }]);
    });
  });

  describe('startup errors name the class and method', () => {
    async function boot(providers: Provider[]): Promise<void> {
      const moduleRef = await Test.createTestingModule({ imports: [SocketApiModule.forRoot()], providers }).compile();
      const app = moduleRef.createNestApplication({ logger: false });
      try {
        await app.init();
      } finally {
        await app.close();
      }
    }

    it('two handlers with one name', async () => {
      @Injectable()
      class A {
        @SocketAction('same')
        one() {}
      }
      @Injectable()
      class B {
        @SocketAction('same')
        two() {}
      }
      await expect(boot([A, B])).rejects.toThrow("B.two(): action 'same' is already declared by A.one().");
    });

    it('a handler on a request-scoped provider', async () => {
      @Injectable({ scope: Scope.REQUEST })
      class PerRequest {
        @SocketAction('scoped')
        scoped() {}
      }
      await expect(boot([PerRequest])).rejects.toThrow(
        "PerRequest.scoped(): action 'scoped' is on a request-scoped or transient provider",
      );
    });

    it('a @Data parameter whose type cannot be validated', async () => {
      class NoRules {
        name!: string;
      }
      @Injectable()
      class Untyped {
        @SocketAction('untyped')
        untyped(@Data('x') x: NoRules) {
          return x;
        }
      }
      await expect(boot([Untyped])).rejects.toThrow(
        'Untyped.untyped(): @Data() parameter #0 has type NoRules, which cannot be validated',
      );
    });

    it('a parameter with neither @Data() nor @Connection()', async () => {
      @Injectable()
      class Bare {
        @SocketAction('bare')
        bare(@Data('a') a: number, b: number) {
          return a + b;
        }
      }
      await expect(boot([Bare])).rejects.toThrow('Bare.bare(): parameter #1 needs @Data() or @Connection().');
    });

    it('a method that is both an action and a channel', async () => {
      @Injectable()
      class Both {
        @SocketAction('x')
        @SocketChannel('x')
        both() {}
      }
      await expect(boot([Both])).rejects.toThrow(
        'Both.both(): a method is either a @SocketAction() or a @SocketChannel(), not both.',
      );
    });

    it('an empty name is refused when the decorator runs', () => {
      expect(() => SocketAction('')).toThrow('@SocketAction() needs a non-empty name');
    });
  });

  it('Inject works for the module options token too', async () => {
    const { SOCKET_API_OPTIONS } = await import('../lib/index.js');
    @Injectable()
    class ReadsOptions {
      constructor(@Inject(SOCKET_API_OPTIONS) readonly options: object) {}
    }
    const t = cleanup.track(
      await startApp({ imports: [SocketApiModule.forRoot({ path: '/x' })], providers: [ReadsOptions] }),
    );
    expect(t.app.get(ReadsOptions).options).toEqual({ path: '/x' });
  });
});
