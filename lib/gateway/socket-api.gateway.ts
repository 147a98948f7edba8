import type { IncomingMessage, Server } from 'node:http';
import {
  Inject,
  Injectable,
  Logger,
  type BeforeApplicationShutdown,
  type OnApplicationBootstrap,
} from '@nestjs/common';
import { HttpAdapterHost } from '@nestjs/core';
import { WsAdapter } from '@nestjs/platform-ws';
import type { Subscription } from 'rxjs';
import type { WebSocket, WebSocketServer } from 'ws';
import { NestEnhancers } from '../handlers/nest-enhancers.js';
import type { SocketApiModuleOptions } from '../interfaces/socket-api-options.interface.js';
import { SocketApiRegistry } from '../registry/socket-api.registry.js';
import { DEFAULT_MAX_PAYLOAD, DEFAULT_PATH } from '../socket-api.constants.js';
import { SOCKET_API_OPTIONS } from '../socket-api.module-definition.js';
import { MessageDispatcher } from './message-dispatcher.js';
import { SocketConnection } from './socket-connection.js';

const GOING_AWAY = 1001;
const CONNECTION = Symbol('SocketConnection');

type TaggedSocket = WebSocket & { [CONNECTION]: SocketConnection };
const CLOSE_GRACE_MS = 2000;

/**
 * Serves the socket on the Nest app's own HTTP server through `@nestjs/platform-ws`: the app's
 * `WsAdapter` when it has one (so Nest gateways on other paths keep working), else one of ours.
 * Also pipes every channel's publications to its subscribed sockets.
 */
@Injectable()
export class SocketApiGateway implements OnApplicationBootstrap, BeforeApplicationShutdown {
  private readonly logger = new Logger('SocketApi');
  private readonly connections = new Set<SocketConnection>();
  private readonly deliveries: Subscription[] = [];
  private server?: WebSocketServer;
  private ownAdapter?: WsAdapter;
  // Listeners shared by every socket (`this` is the socket), so that a connection costs no closures.
  private readonly onMessage: (this: WebSocket, data: Buffer, isBinary: boolean) => void;
  private readonly onClose: (this: WebSocket) => void;

  constructor(
    @Inject(SOCKET_API_OPTIONS) private readonly options: SocketApiModuleOptions,
    private readonly httpAdapterHost: HttpAdapterHost,
    private readonly nest: NestEnhancers,
    private readonly registry: SocketApiRegistry,
    dispatcher: MessageDispatcher,
  ) {
    const connections = this.connections;
    this.onMessage = function (data, isBinary) {
      dispatcher.receive((this as TaggedSocket)[CONNECTION], data, isBinary);
    };
    this.onClose = function () {
      const connection = (this as TaggedSocket)[CONNECTION];
      connections.delete(connection);
      dispatcher.disconnect(connection);
    };
  }

  /** Connections open right now. */
  get connectionCount(): number {
    return this.connections.size;
  }

  onApplicationBootstrap(): void {
    this.pipeChannels();
    const httpServer: Server | undefined = this.httpAdapterHost.httpAdapter?.getHttpServer();
    if (!httpServer) {
      this.logger.warn('No HTTP server (is this an application context?): the socket is not served.');
      return;
    }
    const path = this.options.path ?? DEFAULT_PATH;
    this.server = this.adapterFor(httpServer).create(0, {
      path,
      maxPayload: this.options.maxPayload ?? DEFAULT_MAX_PAYLOAD,
      clientTracking: false,
      perMessageDeflate: false,
      // ws would close with 1007; the dispatcher answers such a frame like any text that is not JSON.
      skipUTF8Validation: true,
    }) as WebSocketServer;
    this.server.on('connection', (socket: WebSocket, request: IncomingMessage) => this.accept(socket, request));
    this.logger.log(`${this.registry.actions.size} actions and ${this.registry.channels.size} channels at ${path}`);
  }

  async beforeApplicationShutdown(): Promise<void> {
    for (const delivery of this.deliveries.splice(0)) delivery.unsubscribe();
    await this.closeAll();
    this.server?.close();
    await this.ownAdapter?.dispose();
  }

  private adapterFor(httpServer: Server): WsAdapter {
    const appAdapter = this.nest.config.getIoAdapter();
    if (appAdapter instanceof WsAdapter) return appAdapter;
    this.ownAdapter = new WsAdapter(httpServer);
    return this.ownAdapter;
  }

  /** One RxJS subscription per channel; each publication is already serialized, once. */
  private pipeChannels(): void {
    for (const { channel } of this.registry.channels.values()) {
      const { subscribers } = channel;
      this.deliveries.push(
        channel.frames.subscribe(({ frame }) => {
          for (const subscriber of subscribers) subscriber.sendFrame(frame);
        }),
      );
    }
  }

  private accept(socket: WebSocket, request: IncomingMessage): void {
    const connection = new SocketConnection(socket, request, this.options.serialization);
    (socket as TaggedSocket)[CONNECTION] = connection;
    this.connections.add(connection);
    socket.on('message', this.onMessage);
    socket.on('close', this.onClose);
  }

  /** Closes every socket with 1001 and waits for the clients to answer, then cuts the rest. */
  private async closeAll(): Promise<void> {
    const sockets = [...this.connections].map((connection) => connection.socket);
    const closed = sockets.map((socket) => new Promise((resolve) => socket.once('close', resolve)));
    for (const socket of sockets) socket.close(GOING_AWAY, 'Server shutting down');
    let timer: NodeJS.Timeout | undefined;
    const grace = new Promise((resolve) => (timer = setTimeout(resolve, CLOSE_GRACE_MS)));
    await Promise.race([Promise.all(closed), grace]);
    clearTimeout(timer);
    for (const connection of this.connections) connection.socket.terminate();
  }
}
