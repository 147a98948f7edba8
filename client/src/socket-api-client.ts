import { BehaviorSubject, EMPTY, type Observable } from 'rxjs';
import { ActionCall, type CallType } from './action-call.js';
import { Backoff } from './backoff.js';
import { ChannelSubscriptions } from './channel-subscriptions.js';
import { ClientErrorCode } from './client-error-codes.js';
import type { ClientState } from './client-state.js';
import { ClientMessage } from './client.messages.js';
import { closeVerdict, type CloseVerdict, type ConnectionEnd } from './close-policy.js';
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
} from './contract.js';
import { ContractCheck, type ContractMismatch } from './contract-check.js';
import { Credentials } from './credentials.js';
import { parseServerFrame, type ClientFrame, type MessageId, type PresenceMember, type ServerFrame } from './frames.js';
import { Heartbeat } from './heartbeat.js';
import { Outbox } from './outbox.js';
import {
  DEFAULT_RETRY_DELAYS,
  type ActionOptions,
  resolveClientOptions,
  type ResolvedClientOptions,
  type SocketApiClientOptions,
  type TokenRequestReason,
} from './options.js';
import { probeHttp, startTimer, stopTimer, type HttpProbe, type TimerHandle } from './platform.js';
import { PresenceFeed, presenceMembers, type PresenceEvent } from './presence.js';
import type { RecoveryEvent } from './recovery.js';
import { Renewal } from './renewal.js';
import { errorOfFrame, SocketApiError } from './socket-api-error.js';
import { Transport, type Handshake } from './transport.js';
import { resolveWebSocketClass } from './websocket-class.js';

/** How long the reachability probe of an unexplained handshake failure may take. */
const PROBE_TIMEOUT_MS = 3000;
/** How long `close()` waits for the server's close frame before cutting the connection. */
const CLOSE_WAIT_MS = 1000;

/**
 * A client of a nestjs-socketapi server (or any server of the SocketAPI protocol): actions as
 * Promises matched by `id`, channels as shared RxJS Observables, and a connection that survives the
 * network (reconnect with jittered backoff, resubscribe, its own liveness check, token renewal).
 *
 * ```ts
 * const client = new SocketApiClient('wss://api.example.com/', { auth: { token: () => session.token() } });
 * const sum = await client.action('add', { a: 1, b: 2 });
 * client.subscribe('chat', { room: 'a' }).subscribe((message) => show(message));
 * ```
 *
 * `Contract` types the names and values (the contract generated from the server's handlers).
 */
export class SocketApiClient<Contract extends SocketApiContract = UntypedContract> {
  private readonly options: ResolvedClientOptions;
  private readonly stateSubject: BehaviorSubject<ClientState>;
  /** The connection's state, now and each change; completes after `closed`. */
  readonly state$: Observable<ClientState>;
  /**
   * Each connection whose server has another contract than the client's `contractHash` (never emits
   * without that option); completes at `close()`.
   */
  readonly contractMismatch$: Observable<ContractMismatch>;
  /**
   * Channels with history: the outcome of each resubscribe that asked to recover (after a reconnect:
   * `recovered: true` when every missed publication was replayed, in order, without duplicates;
   * `false` when nothing could be: reload the state from your own source), and each time the server
   * tells a live subscription that its stream broke (`false`). Completes at `close()`.
   */
  readonly recovery$: Observable<RecoveryEvent>;

  private readonly inFlight = new Map<MessageId, ActionCall>();
  private readonly outbox: Outbox;
  private readonly subscriptions: ChannelSubscriptions;
  private readonly credentials: Credentials | undefined;
  private readonly renewal: Renewal | undefined;
  private readonly heartbeat: Heartbeat | undefined;
  private readonly backoff: Backoff | undefined;
  private readonly contractCheck: ContractCheck | undefined;
  private readonly presenceFeed = new PresenceFeed();

  private transport: Transport | undefined;
  private lastId = 0;
  private retryTimer: TimerHandle | undefined;
  /** The reachability probe under way, cancelled by `close()`. */
  private probe: HttpProbe | undefined;
  private stopped = false;
  /** Bumped when an attempt is superseded (close), so that its late async steps do nothing. */
  private generation = 0;
  private tokenReason: TokenRequestReason = 'connect';
  /** Refused handshakes in a row: known (401/403) and unexplained (a browser's 1006 with the server up). */
  private knownRefusals = 0;
  private unexplainedRefusals = 0;
  /** Failed attempts since the last open: what `reconnect.maxAttempts` bounds. */
  private failedAttempts = 0;
  /** When the current connection opened; read once it ends, to tell a stable connection from a flapping one. */
  private openedAt: number | undefined;

  constructor(
    private readonly url: string,
    options?: SocketApiClientOptions,
  ) {
    this.options = resolveClientOptions(options);
    this.stateSubject = new BehaviorSubject<ClientState>({ status: 'connecting' });
    this.state$ = this.stateSubject.asObservable();
    this.outbox = new Outbox(this.options.queue.maxItems, this.options.queue.maxBytes);
    const { auth, heartbeat, reconnect, random } = this.options;
    const link = { send: (frame: ClientFrame) => this.sendFrame(frame), nextId: () => ++this.lastId };
    const delays = reconnect || DEFAULT_RETRY_DELAYS;
    this.subscriptions = new ChannelSubscriptions({
      ...link,
      backoff: () => new Backoff(delays.initialDelayMs, delays.maxDelayMs, random),
    });
    this.recovery$ = this.subscriptions.recovery$;
    if (auth) {
      this.credentials = new Credentials(auth);
      this.renewal = new Renewal(this.credentials, link, (error) => this.setState({ ...this.state, error }));
    }
    if (heartbeat) {
      this.heartbeat = new Heartbeat(
        heartbeat.idleMs,
        heartbeat.timeoutMs,
        () => this.sendFrame({ type: 'ping' }),
        () => this.deadConnection(heartbeat.timeoutMs),
      );
    }
    if (this.options.contractHash !== undefined)
      this.contractCheck = new ContractCheck(this.options.contractHash, link);
    this.contractMismatch$ = this.contractCheck?.mismatch$ ?? EMPTY;
    if (reconnect) this.backoff = new Backoff(reconnect.initialDelayMs, reconnect.maxDelayMs, random);
    void this.connect();
  }

  get state(): ClientState {
    return this.stateSubject.value;
  }

  /** Actions waiting for a connection. */
  get queuedActions(): number {
    return this.outbox.size;
  }

  /** Actions sent and not answered yet. */
  get actionsInFlight(): number {
    return this.inFlight.size;
  }

  /**
   * Runs an action: resolves with the reply's `data`; rejects with a `SocketApiError` carrying the
   * server's code (`VALIDATION_ERROR` with `errors`, ...) or the client's (`CLIENT_TIMEOUT`,
   * `CLIENT_ABORTED`, `CLIENT_DISCONNECTED` with `maybeExecuted`, ...). Never sent twice.
   */
  action<N extends ActionName<Contract>>(
    name: N,
    ...[data, options = {}]: ActionArguments<Contract, N>
  ): Promise<ActionReply<Contract, N>> {
    return this.call<ActionReply<Contract, N>>('action', name, data, options);
  }

  /**
   * Who is subscribed to a presence channel now, across every server instance: each member's
   * `clientId` and the `info` the server exposes. The client must be subscribed to the channel
   * (else `NOT_SUBSCRIBED`). Sent, queued, timed out and failed like an action (`options`).
   * `Info` is the contract's, not meant to be given: a type parameter rather than the return type's own
   * expression so that a typed client stays assignable to an untyped one (`Promise` would compare contracts both ways).
   */
  presence<N extends PresenceChannelName<Contract>, Info = PresenceInfo<Contract, N>>(
    name: N,
    options: ActionOptions = {},
  ): Promise<PresenceMember<Info>[]> {
    return this.call<PresenceMember<Info>[]>('presence', name, undefined, options);
  }

  /**
   * The `join` and `leave` events of a presence channel declared with `joinLeave`, while the client
   * is subscribed to it (`subscribe(name)`: this Observable does not subscribe by itself). Never the
   * client's own. After a reconnect, ask `presence(name)` again: events missed meanwhile are not replayed.
   */
  presenceEvents<N extends PresenceChannelName<Contract>>(
    name: N,
  ): Observable<PresenceEvent<PresenceInfo<Contract, N>>> {
    return this.presenceFeed.of<PresenceInfo<Contract, N>>(name);
  }

  private call<Reply>(type: CallType, name: string, data: unknown, options: ActionOptions): Promise<Reply> {
    return new Promise<Reply>((resolve, reject) => {
      if (this.stopped) {
        reject(new SocketApiError(ClientErrorCode.CLOSED, ClientMessage.closed));
        return;
      }
      if (options.signal?.aborted) {
        reject(new SocketApiError(ClientErrorCode.ABORTED, ClientMessage.aborted(name)));
        return;
      }
      let call: ActionCall;
      try {
        call = new ActionCall(
          ++this.lastId,
          name,
          data,
          options.timeoutMs ?? this.options.actionTimeoutMs,
          options.signal,
          // The reply is taken to be what the contract says: the client does not check it at runtime.
          (reply) => resolve(reply as Reply),
          reject,
          (settled) => this.forget(settled),
          type,
        );
      } catch (error) {
        // The frame is serialized at the call: data JSON cannot carry (a BigInt, a cycle) ends here.
        reject(new SocketApiError(ClientErrorCode.DATA_FAILED, ClientMessage.actionDataFailed(name, error)));
        return;
      }
      if (this.transport?.isOpen) {
        this.dispatch(call, this.transport);
      } else if ((options.whenDisconnected ?? this.options.whenDisconnected) === 'fail') {
        call.fail(ClientErrorCode.NOT_CONNECTED, ClientMessage.notConnected(name));
      } else if (!this.outbox.offer(call)) {
        call.fail(ClientErrorCode.QUEUE_FULL, ClientMessage.queueFull(name));
      }
    });
  }

  /**
   * The payloads of a channel (the initial data first, when the channel has some), as long as it is
   * observed. Observers of one channel share one server subscription; the last one leaving
   * unsubscribes. `data` may be a function, evaluated at each (re)subscribe. A refusal errors the
   * Observable with the server's error. An observer joining a live subscription gets the payloads
   * from then on.
   */
  subscribe<N extends ChannelName<Contract>>(
    name: N,
    data?: ChannelData<Contract, N> | (() => ChannelData<Contract, N>),
  ): Observable<ChannelPayload<Contract, N>> {
    return this.subscriptions.observe<ChannelPayload<Contract, N>>(name, data);
  }

  /**
   * Renews the credentials in-band now (the client also does it by itself before they expire).
   * Single-flight: callers during a renewal share it.
   */
  renewCredentials(): Promise<void> {
    if (this.renewal === undefined) {
      return Promise.reject(new SocketApiError(ClientErrorCode.CLOSED, ClientMessage.renewalUnsupported));
    }
    return this.renewal.renew();
  }

  /**
   * Closes the connection for good: actions queued or in flight reject with `CLIENT_CLOSED`
   * (`maybeExecuted` when sent), observers complete, `state$` ends with `closed`. Resolves once the
   * socket is closed.
   */
  close(): Promise<void> {
    return this.stop(undefined);
  }

  private setState(state: ClientState): void {
    if (this.stateSubject.value.status === 'closed') return;
    this.stateSubject.next(state);
  }

  private async connect(): Promise<void> {
    const generation = ++this.generation;
    let handshake: Handshake = { url: this.url, protocols: this.options.protocols };
    let expiresAt: number | undefined;
    if (this.credentials !== undefined) {
      try {
        const token = await this.credentials.token(this.tokenReason);
        handshake = this.credentials.handshake(this.url, this.options.protocols, token.token);
        expiresAt = token.expiresAt;
      } catch {
        if (generation === this.generation) {
          this.retryLater(new SocketApiError(ClientErrorCode.TOKEN_FAILED, ClientMessage.tokenFailed));
        }
        return;
      }
    }
    const WebSocketClass = await resolveWebSocketClass(this.options.WebSocket, handshake.headers !== undefined);
    if (generation !== this.generation) return;
    if (WebSocketClass === undefined) {
      void this.stop(new SocketApiError(ClientErrorCode.NO_WEBSOCKET, ClientMessage.noWebSocket));
      return;
    }
    let transport: Transport | undefined = undefined;
    try {
      transport = new Transport(WebSocketClass, handshake, this.options.connectTimeoutMs, {
        opened: () => this.opened(transport, expiresAt),
        message: (text) => this.received(text),
        ended: (end) => this.ended(transport, end),
      });
    } catch (error) {
      // A URL the WebSocket class refuses (not ws:/wss:, a fragment): no attempt can pass.
      const message = error instanceof Error ? error.message : String(error);
      void this.stop(new SocketApiError(ClientErrorCode.CONNECTION_LOST, message));
      return;
    }
    this.transport = transport;
  }

  private opened(transport: Transport | undefined, expiresAt: number | undefined): void {
    if (transport === undefined || transport !== this.transport) return;
    this.openedAt = Date.now();
    this.failedAttempts = 0;
    this.knownRefusals = 0;
    this.unexplainedRefusals = 0;
    this.tokenReason = 'reconnect';
    this.heartbeat?.start();
    this.renewal?.schedule(expiresAt);
    this.subscriptions.resubscribeAll();
    this.contractCheck?.ask();
    for (const call of this.outbox.drain()) {
      if (!call.isSettled) this.dispatch(call, transport);
    }
    // Told last: what the app sends on `open` (a presence query after a reconnect) goes after the
    // subscribes made again, which the server handles first.
    if (transport === this.transport) this.setState({ status: 'open' });
  }

  private received(text: unknown): void {
    this.heartbeat?.alive();
    const frame = parseServerFrame(text);
    if (frame === undefined) return;
    switch (frame.type) {
      case 'action':
        if (typeof frame.id === 'number') this.inFlight.get(frame.id)?.succeed(frame.data);
        break;
      case 'data':
        this.subscriptions.data(frame);
        break;
      case 'presence':
        if (typeof frame.id === 'number') this.inFlight.get(frame.id)?.succeed(presenceMembers(frame.data));
        break;
      case 'join':
      case 'leave':
        this.presenceFeed.received(frame);
        break;
      case 'error':
        this.receivedError(frame);
        break;
      case 'subscribed':
        this.subscriptions.subscribed(frame);
        break;
      case 'unsubscribed':
        // Ours carry an id; the server's own (it ended a subscription) have none.
        if (frame.id === undefined) this.subscriptions.unsubscribedByServer(frame.channel);
        else this.subscriptions.unsubscribed(frame.id);
        break;
      case 'auth':
        this.renewal?.answered(frame);
        break;
      case 'contract':
        this.contractCheck?.answered(frame);
        break;
      default:
        // `pong`, and types a newer server may add: the heartbeat has seen them.
        break;
    }
  }

  private receivedError(frame: ServerFrame): void {
    const error = errorOfFrame(frame);
    if (typeof frame.id === 'number') {
      const call = this.inFlight.get(frame.id);
      if (call !== undefined) {
        call.failWith(error);
        return;
      }
      if (this.subscriptions.refused(frame.id, error)) return;
      if (this.contractCheck?.refused(frame.id)) return;
      this.renewal?.answered(frame);
      return;
    }
    // Without an id: TOKEN_EXPIRED before the 1008 close (the close decides what follows), or a
    // refusal of a frame too large to be parsed (its action times out: the server did not run it).
    this.setState({ ...this.state, error });
  }

  private ended(transport: Transport | undefined, end: ConnectionEnd): void {
    if (transport === undefined || transport !== this.transport) return;
    this.transport = undefined;
    const lost = new SocketApiError(
      ClientErrorCode.CONNECTION_LOST,
      end.status === undefined
        ? ClientMessage.connectionLost(end.code, end.reason)
        : ClientMessage.handshakeRefused(end.status),
    );
    this.connectionLost(lost);
    void this.decide(end, lost);
  }

  /**
   * The connection is gone: what waited on it fails now; actions in flight with `CLIENT_DISCONNECTED`
   * (or `CLIENT_CLOSED` when the app closed the client), `maybeExecuted` either way.
   */
  private connectionLost(error: SocketApiError, closing = false): void {
    this.heartbeat?.stop();
    this.renewal?.connectionLost(error);
    this.subscriptions.connectionLost();
    for (const call of [...this.inFlight.values()]) {
      if (closing) call.fail(ClientErrorCode.CLOSED, ClientMessage.closed);
      else call.fail(ClientErrorCode.DISCONNECTED, ClientMessage.disconnected(call.name));
    }
  }

  private async decide(end: ConnectionEnd, lost: SocketApiError): Promise<void> {
    const generation = this.generation;
    let verdict: CloseVerdict = closeVerdict(end);
    let unexplained = false;
    if (verdict === 'retry' && !end.opened && end.status === undefined && this.credentials !== undefined) {
      // A browser sees a refused handshake as 1006, like a server that is down. A server that answers
      // HTTP while refusing the socket most likely refused the credentials (or is full: hence a budget).
      const probe = (this.probe = probeHttp(this.url.replace(/^ws/, 'http'), PROBE_TIMEOUT_MS));
      unexplained = await probe.answered;
      if (this.probe === probe) this.probe = undefined;
      if (generation !== this.generation) return;
      if (unexplained) verdict = 'reauthenticate';
    }
    if (verdict === 'terminal' || !this.options.reconnect) {
      void this.stop(lost);
      return;
    }
    if (verdict === 'reauthenticate') {
      if (this.credentials === undefined && !end.opened) {
        void this.stop(lost);
        return;
      }
      if (!end.opened && this.refusedTooOften(unexplained)) {
        const status = end.status === undefined ? 'no HTTP status seen' : `HTTP ${end.status}`;
        void this.stop(new SocketApiError(ClientErrorCode.AUTH_REFUSED, ClientMessage.authRefused(status)));
        return;
      }
      this.tokenReason = 'refused';
    }
    this.retryLater(lost);
  }

  /** Counts a refused handshake; true when the client should give up. */
  private refusedTooOften(unexplained: boolean): boolean {
    const reconnect = this.options.reconnect;
    if (unexplained) return ++this.unexplainedRefusals >= (reconnect ? reconnect.maxUnexplainedRefusals : 1);
    // Refused, then refused again with a fresh token: the credentials are not the cache's fault.
    return ++this.knownRefusals >= 2;
  }

  private retryLater(error: SocketApiError): void {
    const backoff = this.backoff;
    const reconnect = this.options.reconnect;
    if (backoff === undefined || !reconnect) {
      void this.stop(error);
      return;
    }
    if (this.openedAt !== undefined) {
      // Only a connection that lived resets the delay: one closed at once is a failure of the server.
      if (Date.now() - this.openedAt >= reconnect.stableAfterMs) backoff.reset();
      this.openedAt = undefined;
    }
    if (this.failedAttempts >= reconnect.maxAttempts) {
      void this.stop(new SocketApiError(ClientErrorCode.GAVE_UP, ClientMessage.gaveUp(this.failedAttempts)));
      return;
    }
    const delay = backoff.next();
    this.failedAttempts++;
    this.setState({ status: 'reconnecting', error, attempts: this.failedAttempts });
    stopTimer(this.retryTimer);
    this.retryTimer = startTimer(() => {
      this.retryTimer = undefined;
      void this.connect();
    }, delay);
  }

  private deadConnection(timeoutMs: number): void {
    const transport = this.transport;
    if (transport === undefined) return;
    this.transport = undefined;
    transport.abandon();
    const error = new SocketApiError(ClientErrorCode.DEAD_CONNECTION, ClientMessage.deadConnection(timeoutMs));
    this.connectionLost(error);
    this.retryLater(error);
  }

  private async stop(error: SocketApiError | undefined): Promise<void> {
    if (this.stopped) return;
    this.stopped = true;
    this.generation++;
    stopTimer(this.retryTimer);
    this.probe?.cancel();
    const transport = this.transport;
    this.transport = undefined;
    const closing = transport?.close(CLOSE_WAIT_MS);
    this.connectionLost(error ?? new SocketApiError(ClientErrorCode.CLOSED, ClientMessage.closed), true);
    // Queued actions were never sent: they fail with why the client stopped (or CLIENT_CLOSED).
    for (const call of this.outbox.drain()) {
      call.fail(error?.code ?? ClientErrorCode.CLOSED, error?.message ?? ClientMessage.closed);
    }
    this.subscriptions.endAll(error);
    this.stateSubject.next(error === undefined ? { status: 'closed' } : { status: 'closed', error });
    this.stateSubject.complete();
    this.contractCheck?.complete();
    this.presenceFeed.complete();
    await closing;
  }

  private dispatch(call: ActionCall, transport: Transport): void {
    this.inFlight.set(call.id, call);
    call.sent = true;
    transport.send(call.text);
  }

  private forget(call: ActionCall): void {
    this.inFlight.delete(call.id);
    this.outbox.remove(call);
  }

  private sendFrame(frame: ClientFrame): boolean {
    const transport = this.transport;
    if (transport === undefined || !transport.isOpen) return false;
    transport.send(JSON.stringify(frame));
    return true;
  }
}
