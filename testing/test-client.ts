import type { INestApplication } from '@nestjs/common';
import type { Subscription } from 'rxjs';
import type WebSocket from 'ws';
import { ClientErrorCode } from '../client/src/client-error-codes.js';
import type {
  ActionArguments,
  ActionName,
  ActionReply,
  ChannelData,
  ChannelName,
  ChannelPayload,
  PresenceChannelName,
  PresenceInfo,
  SocketApiContract,
  UntypedContract,
} from '../client/src/contract.js';
import type { PresenceMember } from '../client/src/frames.js';
import type { SocketApiClientOptions } from '../client/src/options.js';
import { SocketApiClient } from '../client/src/socket-api-client.js';
import { SocketApiError } from '../client/src/socket-api-error.js';
import { forgetClient } from './app-clients.js';
import type { FrameLog, FrameRecord } from './frame-log.js';
import { rawText, recordingWebSocket } from './recording-websocket.js';
import { TestingMessage } from './testing.messages.js';

/** What `createTestClient` hands a test client besides the client's own options. */
export interface TestClientWiring {
  app: INestApplication;
  log: FrameLog;
  /** The bound of every wait of the kit (connect, `nextData`, `subscribed`, `expectError`'s action). */
  timeoutMs: number;
}

interface Waiter<T> {
  resolve(value: T): void;
  reject(error: Error): void;
}

/** A channel the kit itself observes (for `nextData`/`subscribed`), until the client closes. */
interface KitSubscription {
  subscription: Subscription;
  waiters: Set<Waiter<unknown>>;
}

/**
 * The client of `nestjs-socketapi-client` (the same code, bundled into this package), connected to
 * a Nest app under test, with what tests need on top: waits bounded by `timeoutMs` whose failure
 * shows the last frames, the next payload of a channel, an action expected to fail, and faults a
 * real network makes (a connection cut without a close frame, a reader that stops reading).
 */
export class TestClient<Contract extends SocketApiContract = UntypedContract> extends SocketApiClient<Contract> {
  private socket: WebSocket | undefined;
  /** Channels the server confirmed on the current connection, and who waits for a confirmation. */
  private readonly confirmed = new Set<string>();
  private readonly confirmationWaiters = new Map<string, Set<Waiter<void>>>();
  private readonly kitSubscriptions = new Map<string, KitSubscription>();
  /** Called at the next `pong` frame (the kit's own `ping` was sent after everything they wait for). */
  private readonly pongWaiters = new Set<() => void>();

  constructor(
    /** The socket's URL (`ws://127.0.0.1:<port><path>`). */
    readonly socketUrl: string,
    options: Omit<SocketApiClientOptions, 'WebSocket'>,
    private readonly wiring: TestClientWiring,
  ) {
    let onSocket: (socket: WebSocket) => void = () => undefined;
    // The client makes its first socket after an await (it resolves its WebSocket class first), so
    // `onSocket` is replaced below before any socket exists.
    super(socketUrl, { ...options, WebSocket: recordingWebSocket(wiring.log, (socket) => onSocket(socket)) });
    onSocket = (socket) => this.watch(socket);
  }

  /** The last frames sent and received (and the connection's opens and closes), oldest first. */
  get frames(): readonly FrameRecord[] {
    return this.wiring.log.frames;
  }

  /**
   * Runs an action, as the client does; a failure of the client's own (`CLIENT_TIMEOUT`,
   * `CLIENT_DISCONNECTED`, ...) carries the last frames in its message.
   */
  override action<N extends ActionName<Contract>>(
    name: N,
    ...args: ActionArguments<Contract, N>
  ): Promise<ActionReply<Contract, N>> {
    return super.action(name, ...args).catch((error: unknown) => {
      throw this.withFrames(error);
    });
  }

  /** A failure of the client's own (`CLIENT_TIMEOUT`, ...) with the last frames added to its message. */
  private withFrames(error: unknown): unknown {
    if (error instanceof SocketApiError && error.code.startsWith('CLIENT_')) {
      error.message = `${error.message}\n${this.wiring.log.format()}`;
    }
    return error;
  }

  /**
   * Runs an action that must fail with `code`: resolves with its `SocketApiError` (to check
   * `message`, `errors`), rejects when it replies or fails otherwise, showing the last frames.
   */
  async expectError<N extends ActionName<Contract>>(
    code: string,
    name: N,
    ...args: ActionArguments<Contract, N>
  ): Promise<SocketApiError> {
    let reply: unknown;
    try {
      reply = await super.action(name, ...args);
    } catch (error) {
      if (error instanceof SocketApiError && error.code === code) return error;
      const how = error instanceof SocketApiError ? TestingMessage.butFailed(error.code, error.message) : String(error);
      throw new Error([TestingMessage.expectedError(code, name), how, this.wiring.log.format()].join('\n'), {
        cause: error,
      });
    }
    throw new Error(
      [
        TestingMessage.expectedError(code, name),
        TestingMessage.butReplied(JSON.stringify(reply)),
        this.wiring.log.format(),
      ].join('\n'),
    );
  }

  /**
   * Subscribes to a channel (kept until the client closes) and resolves once the server confirmed
   * it and its initial data (if any) has arrived: a publication made after this resolves is what
   * `nextData` gets next. Resolves soon when it is confirmed already on this connection.
   */
  subscribed<N extends ChannelName<Contract>>(name: N, data?: ChannelData<Contract, N>): Promise<void> {
    const confirmation = this.within<void>(`the subscription to '${name}'`, (resolve, reject) => {
      // The server sends a channel's initial data right after `subscribed`, in the same turn, so
      // the pong of a ping sent after the confirmation comes after the initial data: that makes
      // "everything before it has arrived" exact, without guessing whether the channel has some.
      const pingAfterConfirmation = () => this.afterPong(resolve);
      if (this.confirmed.has(name)) {
        pingAfterConfirmation();
        return () => this.pongWaiters.delete(resolve);
      }
      const waiters = this.confirmationWaiters.get(name) ?? new Set<Waiter<void>>();
      this.confirmationWaiters.set(name, waiters);
      // Rejected when the subscription ends unconfirmed (refused: the server's error; the client closed).
      const waiter: Waiter<void> = { resolve: pingAfterConfirmation, reject };
      waiters.add(waiter);
      return () => {
        waiters.delete(waiter);
        this.pongWaiters.delete(resolve);
      };
    });
    this.observe(name, data);
    return confirmation;
  }

  /**
   * The next payload the client receives on a channel after this call. Subscribes first when the
   * kit does not observe the channel yet (then the channel's initial data, if it has some, is the
   * next payload); `await client.subscribed(name)` first to wait for a publication instead.
   * Rejects when the subscription is refused (with the server's error) or after `timeoutMs`.
   */
  nextData<N extends ChannelName<Contract>>(
    name: N,
    data?: ChannelData<Contract, N>,
  ): Promise<ChannelPayload<Contract, N>> {
    const observed = this.observe(name, data);
    return this.within<ChannelPayload<Contract, N>>(`a payload on '${name}'`, (resolve, reject) => {
      const waiter: Waiter<ChannelPayload<Contract, N>> = { resolve, reject };
      observed.waiters.add(waiter);
      return () => observed.waiters.delete(waiter);
    });
  }

  /**
   * Whether the next recovery of a history channel after this call succeeded: its resubscribe after
   * a reconnect (`drop()` with `reconnect` options) answered `recovered: true` (every missed
   * publication replayed) or `false`, or the server told the live subscription its stream broke
   * (`false`). Rejects after `timeoutMs`, showing the last frames.
   */
  nextRecovery<N extends ChannelName<Contract>>(name: N): Promise<boolean> {
    return this.within<boolean>(`a recovery of '${name}'`, (resolve) => {
      const watching = this.recovery$.subscribe(({ channel, recovered }) => {
        if (channel === name) resolve(recovered);
      });
      return () => watching.unsubscribe();
    });
  }

  /**
   * The members of a presence channel the client is subscribed to (`presence(name)`), within
   * `timeoutMs`; a failure of the client's own carries the last frames in its message.
   */
  presenceOf<N extends PresenceChannelName<Contract>, Info = PresenceInfo<Contract, N>>(
    name: N,
  ): Promise<PresenceMember<Info>[]> {
    return this.presence<N, Info>(name, { timeoutMs: this.wiring.timeoutMs }).catch((error: unknown) => {
      throw this.withFrames(error);
    });
  }

  /**
   * Cuts the connection as a network failure does: the TCP socket is destroyed, no close frame is
   * sent (the server sees an abnormal closure, 1006). Resolves once the client saw it closed. The
   * client then reconnects only when the test client was made with `reconnect` options.
   */
  drop(): Promise<void> {
    const socket = this.openSocket('drop the connection');
    return new Promise((resolve) => {
      socket.once('close', () => resolve());
      socket.terminate();
    });
  }

  /**
   * Stops reading from the TCP socket: the kernel's buffers fill and the server's send buffer grows,
   * as with a slow consumer (see the server's `maxBufferedBytes` and a channel's `slowConsumer`).
   */
  pauseReading(): void {
    this.openSocket('pause reading').pause();
  }

  /** Reads again what the server sent meanwhile. */
  resumeReading(): void {
    this.openSocket('resume reading').resume();
  }

  /** Closes the client (the app's `close()` does it for every test client left open). */
  override async close(): Promise<void> {
    forgetClient(this.wiring.app, this);
    for (const { subscription } of this.kitSubscriptions.values()) subscription.unsubscribe();
    await super.close();
  }

  /** Resolves once the connection is open; rejects when the client stops or after `timeoutMs`. */
  connected(): Promise<void> {
    return this.within<void>('the connection', (resolve, reject) => {
      const watching = this.state$.subscribe(({ status, error }) => {
        if (status === 'open') resolve();
        if (status === 'closed') reject(new Error(TestingMessage.connectFailed(this.socketUrl, error?.message)));
      });
      return () => watching.unsubscribe();
    });
  }

  private observe<N extends ChannelName<Contract>>(
    name: N,
    data: ChannelData<Contract, N> | undefined,
  ): KitSubscription {
    const existing = this.kitSubscriptions.get(name);
    if (existing !== undefined) return existing;
    const waiters = new Set<Waiter<unknown>>();
    const settleAll = (settle: (waiter: Waiter<unknown>) => void) => {
      const now = [...waiters];
      waiters.clear();
      now.forEach(settle);
    };
    const rejectAll = (failure: Error) => {
      settleAll((waiter) => waiter.reject(failure));
      const confirmations = [...(this.confirmationWaiters.get(name) ?? [])];
      this.confirmationWaiters.delete(name);
      confirmations.forEach((waiter) => waiter.reject(failure));
    };
    const subscription = this.subscribe(name, data).subscribe({
      next: (payload) => settleAll((waiter) => waiter.resolve(payload)),
      error: (error: unknown) => {
        this.kitSubscriptions.delete(name);
        rejectAll(error instanceof Error ? error : new Error(String(error)));
      },
      complete: () => {
        this.kitSubscriptions.delete(name);
        rejectAll(new SocketApiError(ClientErrorCode.CLOSED, TestingMessage.notConnected(`observe '${name}'`)));
      },
    });
    const entry: KitSubscription = { waiters, subscription };
    // A subscription that ended at once (the client closed) is not kept.
    if (!subscription.closed) this.kitSubscriptions.set(name, entry);
    return entry;
  }

  /** A wait bounded by `timeoutMs`, whose timeout shows the last frames. `start` returns its cleanup. */
  private within<T>(
    what: string,
    start: (resolve: (value: T) => void, reject: (error: Error) => void) => () => void,
  ): Promise<T> {
    const { timeoutMs, log } = this.wiring;
    return new Promise<T>((resolve, reject) => {
      let cleanup: () => void = () => undefined;
      const timer = setTimeout(() => {
        cleanup();
        reject(new Error(`${TestingMessage.timedOut(what, timeoutMs)}\n${log.format()}`));
      }, timeoutMs);
      const settle = () => {
        clearTimeout(timer);
        cleanup();
      };
      cleanup = start(
        (value) => {
          settle();
          resolve(value);
        },
        (error) => {
          settle();
          reject(error);
        },
      );
    });
  }

  private watch(socket: WebSocket): void {
    this.socket = socket;
    this.confirmed.clear();
    socket.on('message', (raw: WebSocket.RawData) => {
      const frame = parseFrame(rawText(raw));
      if (frame?.type === 'pong') {
        const waiters = [...this.pongWaiters];
        this.pongWaiters.clear();
        waiters.forEach((done) => done());
      }
      if (frame === undefined || typeof frame.channel !== 'string') return;
      if (frame.type === 'unsubscribed') this.confirmed.delete(frame.channel);
      if (frame.type !== 'subscribed') return;
      this.confirmed.add(frame.channel);
      const waiters = this.confirmationWaiters.get(frame.channel);
      this.confirmationWaiters.delete(frame.channel);
      waiters?.forEach((waiter) => waiter.resolve());
    });
  }

  /** Sends a `ping` and calls `done` at the next `pong`: every frame the server sent before has arrived. */
  private afterPong(done: () => void): void {
    this.pongWaiters.add(done);
    if (this.pongWaiters.size === 1) this.socket?.send(PING);
  }

  private openSocket(what: string): WebSocket {
    const { socket } = this;
    if (socket === undefined || socket.readyState !== socket.OPEN) throw new Error(TestingMessage.notConnected(what));
    return socket;
  }
}

const PING = JSON.stringify({ type: 'ping' });

function parseFrame(text: string): { type?: unknown; channel?: unknown } | undefined {
  try {
    const frame: unknown = JSON.parse(text);
    return typeof frame === 'object' && frame !== null ? frame : undefined;
  } catch {
    // Not JSON: the client reports it through its own path; nothing for the kit to confirm.
    return undefined;
  }
}
