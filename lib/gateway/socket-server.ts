import type { IncomingMessage, Server } from 'node:http';
import { Inject, Injectable, Logger, type OnApplicationBootstrap, type OnModuleDestroy } from '@nestjs/common';
import { HttpAdapterHost } from '@nestjs/core';
import { WsAdapter } from '@nestjs/platform-ws';
import type { WebSocket, WebSocketServer } from 'ws';
import { Subscriptions } from '../channels/subscriptions.js';
import { ConnectionHooks } from '../handlers/connection-hooks.js';
import { NestEnhancers } from '../handlers/nest-enhancers.js';
import { ServingState } from '../health/serving-state.js';
import { countOf } from '../logging/count-of.js';
import { RESOLVED_SOCKET_API_OPTIONS, type ResolvedSocketApiOptions } from '../options/resolved-options.js';
import { CloseCode } from '../protocol/close-codes.js';
import { CloseReason } from '../protocol/socket-api.messages.js';
import { SOCKET_API_METRICS, type SocketApiMetrics } from '../metrics/socket-api-metrics.js';
import { SocketApiRegistry } from '../registry/socket-api.registry.js';
import { ConnectionIdentities } from './connection-identities.js';
import { HandshakeVerifier } from './handshake-verifier.js';
import { Heartbeat } from './heartbeat.js';
import { UserConnections } from './user-connections.js';
import { InboundQueue } from './inbound-queue.js';
import { answerUnservedUpgrades } from './unserved-upgrade.js';
import { WsConnection, type ConnectionPolicy } from './ws-connection.js';

const CLOSE_GRACE_MS = 2000;
/**
 * What ws may hold while one frame arrives in pieces (its defaults: 262,144 TCP chunks, 16,384
 * fragments, each with ~100 bytes of bookkeeping): a frame trickled in byte by byte costs at most
 * ~150 KiB over its payload. Past either, ws closes with 1008. Real clients need a few dozen.
 */
const MAX_BUFFERED_CHUNKS = 1024;
const MAX_FRAGMENTS = 1024;
const DRAIN_POLL_MS = 10;
const CONNECTION = Symbol('WsConnection');

type TaggedSocket = WebSocket & { [CONNECTION]: WsConnection };

/** The 'pong' listener shared by every socket (`this` is the socket), so that a connection costs no closure. */
function onPong(this: WebSocket): void {
  (this as TaggedSocket)[CONNECTION].awaitingPong = false;
}

/**
 * The subprotocol answered to the client: `bearer` when a browser sends its token as
 * `['bearer', token]` (never the token itself, which proxies might log), else the first offered.
 */
function selectProtocol(protocols: Set<string>): string | false {
  if (protocols.has('bearer')) return 'bearer';
  return protocols.values().next().value ?? false;
}

/**
 * Serves the socket on the Nest app's own HTTP server through `@nestjs/platform-ws`: the app's
 * `WsAdapter` when it has one (so Nest gateways on other paths keep working), else one of ours.
 * Owns the connections' lives: the handshake's verdict, hooks, heartbeat, and the graceful close.
 */
@Injectable()
export class SocketServer implements OnApplicationBootstrap, OnModuleDestroy {
  private readonly logger = new Logger('SocketApi');
  private readonly connections = new Set<WsConnection>();
  private readonly policy: ConnectionPolicy;
  private readonly heartbeat: Heartbeat;
  private server?: WebSocketServer;
  private ownAdapter?: WsAdapter;
  private stopAnsweringUnserved?: () => void;
  // Listeners shared by every socket (`this` is the socket), so that a connection costs no closures.
  private readonly onMessage: (this: WebSocket, data: Buffer, isBinary: boolean) => void;
  private readonly onClose: (this: WebSocket, code: number, reason: Buffer) => void;
  private readonly onError = (error: Error): void => {
    // Protocol errors of one client (bad frames, oversized payloads) close that client; not worth a log line each.
    this.logger.debug(`WebSocket error: ${error.message}`);
  };

  constructor(
    @Inject(RESOLVED_SOCKET_API_OPTIONS) private readonly options: ResolvedSocketApiOptions,
    private readonly httpAdapterHost: HttpAdapterHost,
    private readonly nest: NestEnhancers,
    private readonly registry: SocketApiRegistry,
    private readonly queue: InboundQueue,
    private readonly verifier: HandshakeVerifier,
    private readonly identities: ConnectionIdentities,
    private readonly hooks: ConnectionHooks,
    private readonly subscriptions: Subscriptions,
    @Inject(SOCKET_API_METRICS) private readonly metrics: SocketApiMetrics | null,
    private readonly serving: ServingState,
    private readonly users: UserConnections,
  ) {
    this.policy = {
      serialization: options.serialization,
      maxBufferedBytes: options.maxBufferedBytes,
      metrics,
      closing: (connection) => queue.drop(connection),
    };
    this.heartbeat = new Heartbeat(this.connections, options.heartbeat, options.idleTimeoutMs);
    this.onMessage = function (data, isBinary) {
      queue.receive((this as TaggedSocket)[CONNECTION], data, isBinary);
    };
    const closed = (connection: WsConnection, code: number, reason: Buffer) => this.closed(connection, code, reason);
    this.onClose = function (code, reason) {
      closed((this as TaggedSocket)[CONNECTION], code, reason);
    };
  }

  /** Connections open right now. */
  get connectionCount(): number {
    return this.connections.size;
  }

  onApplicationBootstrap(): void {
    const httpServer = this.httpAdapterHost.httpAdapter?.getHttpServer() as Server | undefined;
    if (!httpServer) {
      this.logger.warn('No HTTP server (is this an application context?): the socket is not served.');
      return;
    }
    const path = this.options.path;
    const adapter = this.adapterFor(httpServer);
    this.server = adapter.create(0, {
      path,
      maxPayload: this.options.maxPayload,
      maxBufferedChunks: MAX_BUFFERED_CHUNKS,
      maxFragments: MAX_FRAGMENTS,
      clientTracking: false,
      // ws waits 30 s for the peer's close frame; a peer that ignores ours is cut much sooner.
      closeTimeout: this.options.closeTimeoutMs,
      perMessageDeflate: false,
      // ws's default, relied on: every frame of a read is handled within it (see `accept`).
      allowSynchronousEvents: true,
      // ws would close with 1007; the router answers such a frame like any text that is not JSON.
      skipUTF8Validation: true,
      verifyClient: this.verifier.verify,
      handleProtocols: selectProtocol,
    }) as WebSocketServer;
    this.stopAnsweringUnserved = answerUnservedUpgrades(httpServer, adapter);
    this.server.on('connection', (socket: WebSocket, request: IncomingMessage) => this.accept(socket, request));
    this.heartbeat.start();
    this.serving.serving();
    const { actions, channels } = this.registry;
    this.logger.log(`${countOf(actions.size, 'action')} and ${countOf(channels.size, 'channel')} at ${path}`);
  }

  /**
   * Graceful shutdown, from the first hook Nest gives this module on `app.close()`: no new
   * connections, in-flight messages get their replies (up to `shutdownTimeoutMs`), then every socket
   * is closed with 1001.
   */
  async onModuleDestroy(): Promise<void> {
    // First: the readiness probe fails from here on, so that the orchestrator sends no one new.
    this.serving.draining();
    this.verifier.stopAccepting();
    this.heartbeat.stop();
    await this.drain(Date.now() + this.options.shutdownTimeoutMs);
    await this.closeAll();
    this.stopAnsweringUnserved?.();
    this.server?.close();
    await this.ownAdapter?.dispose();
  }

  private adapterFor(httpServer: Server): WsAdapter {
    const appAdapter = this.nest.config.getIoAdapter();
    if (appAdapter instanceof WsAdapter) return appAdapter;
    this.ownAdapter = new WsAdapter(httpServer);
    return this.ownAdapter;
  }

  private accept(socket: WebSocket, request: IncomingMessage): void {
    const connection = new WsConnection(socket, request, this.policy, this.verifier.clientAddressOf(request));
    (socket as TaggedSocket)[CONNECTION] = connection;
    this.connections.add(connection);
    if (this.metrics) {
      this.metrics.connectionsOpened++;
      // After ws's own listener (added before 'connection'), which handles every frame of a read at once:
      // actions answered within one read may be timed together (see `ActionTimer`).
      request.socket.on('data', this.metrics.timer.readEnds);
    }
    this.verifier.opened(connection.clientAddress);
    this.identities.attach(connection, this.verifier.takeIdentity(request));
    this.users.opened(connection, this.verifier.takeReservation(request));
    if (this.options.idleTimeoutMs) connection.lastMessageAt = Date.now();
    // WsAdapter logs every socket error at error level; one client's bad frames are not worth that.
    socket.removeAllListeners('error');
    socket.on('error', this.onError);
    socket.on('message', this.onMessage);
    socket.on('close', this.onClose);
    if (this.heartbeat.pings) socket.on('pong', onPong);
    this.hooks.connected(connection);
  }

  private closed(connection: WsConnection, code: number, reason: Buffer): void {
    this.connections.delete(connection);
    if (this.metrics) {
      this.metrics.connectionsClosed++;
      this.metrics.closed(code);
    }
    this.verifier.closed(connection.clientAddress);
    this.identities.release(connection);
    this.users.closed(connection);
    this.subscriptions.unsubscribeAll(connection);
    this.queue.drop(connection);
    this.hooks.disconnected(connection, code, reason.toString());
  }

  private async drain(deadline: number): Promise<void> {
    while (this.hasWork() && Date.now() < deadline) {
      await new Promise((resolve) => setTimeout(resolve, DRAIN_POLL_MS));
    }
  }

  /** Some open connection has frames being handled or waiting (O(connections), only while shutting down). */
  private hasWork(): boolean {
    for (const connection of this.connections) {
      if (this.queue.hasWork(connection)) return true;
    }
    return false;
  }

  /** Closes every socket with 1001 and waits for the clients to answer, then cuts the rest. */
  private async closeAll(): Promise<void> {
    const connections = [...this.connections];
    const closed = connections.map(({ socket }) => new Promise((resolve) => socket.once('close', resolve)));
    for (const connection of connections) connection.close(CloseCode.GOING_AWAY, CloseReason.shuttingDown);
    let timer: NodeJS.Timeout | undefined;
    const grace = new Promise((resolve) => (timer = setTimeout(resolve, CLOSE_GRACE_MS)));
    await Promise.race([Promise.all(closed), grace]);
    clearTimeout(timer);
    for (const connection of this.connections) connection.terminate();
  }
}
