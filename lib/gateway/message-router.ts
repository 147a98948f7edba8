import { Inject, Injectable, Logger, type OnApplicationShutdown } from '@nestjs/common';
import { ChannelHub } from '../channels/channel-hub.js';
import { Subscriptions } from '../channels/subscriptions.js';
import { isGuardException } from '../handlers/handler-invoker.factory.js';
import { describeTarget } from '../handlers/handler-target.js';
import type { ChannelRoute } from '../interfaces/channel-stream.interface.js';
import { CONTRACT_HASH_SOURCE, type ContractHashSource } from '../interfaces/contract-hash-source.interface.js';
import { ErrorLogLimiter } from '../logging/error-log-limiter.js';
import { contractHashFailed } from '../logging/log.messages.js';
import { SOCKET_API_METRICS, type SocketApiMetrics } from '../metrics/socket-api-metrics.js';
import { RESOLVED_SOCKET_API_OPTIONS, type ResolvedSocketApiOptions } from '../options/resolved-options.js';
import { ErrorCode } from '../protocol/error-codes.js';
import { internalError, mapException } from '../protocol/exception-mapper.js';
import type { ErrorPayload, ReceivedMessage } from '../protocol/messages.js';
import { parseClientMessage, withContext } from '../protocol/parse-client-message.js';
import {
  actionReply,
  authReply,
  contractReply,
  errorFrame,
  pongReply,
  unsubscribedReply,
} from '../protocol/server-messages.js';
import { ErrorMessage } from '../protocol/socket-api.messages.js';
import { toPlain } from '../protocol/to-plain.js';
import type { RegisteredHandler, ResolvedChannel } from '../registry/socket-api.registry.js';
import { SocketApiRegistry } from '../registry/socket-api.registry.js';
import { HANDLER_TRACER, type HandlerTracer } from '../tracing/handler-tracer.js';
import { ConnectionIdentities } from './connection-identities.js';
import { PresenceRequest } from './presence-request.js';
import { SubscribeFlow } from './subscribe-flow.js';
import type { WsConnection } from './ws-connection.js';

/**
 * Answers one frame: envelope checks, then routing to actions, channels (and their presence), ping,
 * credential renewal and the contract's hash. Whatever the frame holds, it is answered, and the connection stays usable.
 */
@Injectable()
export class MessageRouter implements OnApplicationShutdown {
  private readonly errorLog: ErrorLogLimiter;
  private readonly serialization: ResolvedSocketApiOptions['serialization'];
  private readonly maxDepth: number;
  /** With `concurrency` above 1, subscribe and unsubscribe of one channel must still run in order. */
  private readonly ordersChannelTurns: boolean;

  constructor(
    private readonly registry: SocketApiRegistry,
    private readonly identities: ConnectionIdentities,
    private readonly subscriptions: Subscriptions,
    private readonly hub: ChannelHub,
    private readonly subscribeFlow: SubscribeFlow,
    private readonly presence: PresenceRequest,
    @Inject(RESOLVED_SOCKET_API_OPTIONS) options: ResolvedSocketApiOptions,
    @Inject(CONTRACT_HASH_SOURCE) private readonly contract: ContractHashSource,
    @Inject(SOCKET_API_METRICS) private readonly metrics: SocketApiMetrics | null,
    @Inject(HANDLER_TRACER) private readonly tracer: HandlerTracer | null,
  ) {
    this.serialization = options.serialization;
    this.maxDepth = options.maxDepth;
    const errorLogIntervalMs = options.errorLogIntervalMs;
    this.errorLog = new ErrorLogLimiter(new Logger('SocketApi'), errorLogIntervalMs);
    this.ordersChannelTurns = options.concurrency > 1;
  }

  onApplicationShutdown(): void {
    this.errorLog.flush();
  }

  /** Returns a Promise only while a handler is still running. */
  handle(connection: WsConnection, data: Buffer, isBinary: boolean): Promise<void> | undefined {
    if (isBinary) {
      this.metrics?.invalidFrameIn(data.length);
      return this.reject(connection, { code: ErrorCode.INVALID_MESSAGE, message: ErrorMessage.binaryFrame });
    }
    const parsed = parseClientMessage(data, this.maxDepth);
    if ('error' in parsed) {
      this.metrics?.invalidFrameIn(data.length);
      return this.reject(connection, parsed.error);
    }
    const { message } = parsed;
    this.metrics?.frameIn(message, data.length);
    switch (message.type) {
      case 'ping':
        connection.sendFrame(pongReply(message.id));
        return undefined;
      case 'action':
        return this.runAction(connection, message);
      case 'subscribe':
      case 'unsubscribe':
        if (this.ordersChannelTurns) return this.inChannelTurn(connection, message);
        return this.channelRequest(connection, message);
      case 'auth':
        return this.renewCredentials(connection, message);
      case 'contract':
        return this.answerContract(connection, message);
      case 'presence':
        return this.presence.answer(connection, message);
    }
  }

  private runAction(connection: WsConnection, message: ReceivedMessage): Promise<void> | undefined {
    const action = this.registry.actions.get(message.channel);
    if (action) {
      if (action.durations) this.metrics!.actionStarted(message, action.durations);
      return this.execute(connection, message, action, this.sendActionResult, undefined);
    }
    this.metrics?.timer.cut();
    return this.rejectMessage(
      connection,
      message,
      ErrorCode.ACTION_NOT_FOUND,
      ErrorMessage.actionNotFound(message.channel),
    );
  }

  /**
   * Where an action's error frame is sent, its duration goes to its histogram as an error (metrics on
   * only; failures are rare, so its histogram is looked up here rather than carried along).
   */
  private noteFailure(message: ReceivedMessage): void {
    if (this.metrics === null || message.type !== 'action') return;
    const durations = this.registry.actions.get(message.channel)?.durations;
    if (durations) this.metrics.actionEnded(message, durations, 1);
  }

  // Result callbacks of `execute`, made once: a closure per frame would be an allocation per frame.
  private readonly sendActionResult: ResultCallback<RegisteredHandler, undefined> = (
    connection,
    message,
    handler,
    result,
  ) => {
    const data = handler.toWire ? handler.toWire(result) : toPlain(result, this.serialization);
    connection.sendFrame(actionReply(message.channel, data, message.id));
    // Timed here, where the reply is sent, not around `execute`: code there would leave less of the
    // handler's invoker inlined, and cost more than the timing itself (callgrind, bench/profile.mjs).
    if (handler.durations) this.metrics!.actionEnded(message, handler.durations, 0);
    return undefined;
  };

  /**
   * Runs a subscribe or unsubscribe after the one of the same channel still running, if any: an
   * `unsubscribe` sent while that channel's `subscribe` awaits its channel method ends unsubscribed.
   */
  private inChannelTurn(connection: WsConnection, message: ReceivedMessage): Promise<void> | undefined {
    const previous = connection.channelTurns?.get(message.channel);
    const running = previous
      ? // Waiting like a queued frame: a connection closed meanwhile runs nothing more.
        previous.then(() => (connection.isOpen ? this.channelRequest(connection, message) : undefined))
      : this.channelRequest(connection, message);
    if (!running) return undefined;
    const turns = (connection.channelTurns ??= new Map());
    const turn: Promise<void> = running.then(() => {
      if (turns.get(message.channel) !== turn) return;
      turns.delete(message.channel);
      if (turns.size === 0) connection.channelTurns = undefined;
    });
    turns.set(message.channel, turn);
    return turn;
  }

  private channelRequest(connection: WsConnection, message: ReceivedMessage): Promise<void> | undefined {
    if (message.type === 'subscribe') return this.subscribe(connection, message);
    return this.unsubscribe(connection, message);
  }

  /**
   * SocketAPI's subscribe: the channel method runs (and may refuse by throwing), then `SubscribeFlow`
   * adds the client and answers.
   */
  private subscribe(connection: WsConnection, message: ReceivedMessage): Promise<void> | undefined {
    const route = this.registry.resolveChannel(message.channel);
    if (!route) {
      return this.rejectMessage(
        connection,
        message,
        ErrorCode.CHANNEL_NOT_FOUND,
        ErrorMessage.channelNotFound(message.channel),
      );
    }
    if (!this.subscribeFlow.maySubscribe(connection, route)) {
      return this.subscribeFlow.rejectTooManySubscriptions(connection, message);
    }
    return this.execute(connection, message, route.handler, this.completeSubscription, route);
  }

  private readonly completeSubscription: ResultCallback<RegisteredHandler, ResolvedChannel> = (
    connection,
    message,
    _handler,
    result,
    route,
  ) => this.subscribeFlow.complete(connection, message, route, result);

  /**
   * In-band renewal of credentials (`{"type":"auth","data":...}`), admitted like a connection (see
   * `ConnectionIdentities.renew`): the new identity replaces the old one, and subscriptions whose
   * guards now refuse are dropped, each with an `unsubscribed` frame. A refusal changes nothing.
   */
  private renewCredentials(connection: WsConnection, message: ReceivedMessage): Promise<void> | undefined {
    if (!this.identities.canRenew) {
      return this.rejectMessage(connection, message, ErrorCode.UNKNOWN_TYPE, ErrorMessage.unknownType('auth'));
    }
    return this.identities.renew(connection, message.data).then((outcome) => {
      if (outcome === undefined) return; // the connection closed meanwhile
      if ('refusal' in outcome) {
        this.reject(connection, withContext({ ...outcome.refusal }, message.channel, message.id));
        return;
      }
      for (const channel of outcome.dropped) connection.sendFrame(unsubscribedReply(channel, undefined));
      connection.sendFrame(authReply(connection.expiresAt, message.id));
    });
  }

  /** The app's contract hash (computed at the first question: a document that fails to build is an internal error). */
  private answerContract(connection: WsConnection, message: ReceivedMessage): undefined {
    let hash: string;
    try {
      hash = this.contract.hash;
    } catch (failure) {
      return this.sendInternalError(connection, message, contractHashFailed, failure);
    }
    connection.sendFrame(contractReply(hash, message.id));
    return undefined;
  }

  private unsubscribe(connection: WsConnection, message: ReceivedMessage): undefined {
    const channel = this.hub.find(message.channel);
    if (channel) this.subscriptions.unsubscribe(connection, channel);
    connection.sendFrame(unsubscribedReply(message.channel, message.id));
    return undefined;
  }

  /**
   * Runs a handler; its result goes to `onResult`, anything thrown to the client as an error. Never
   * throws and its Promise never rejects, whatever the handler returns or throws: a throw that
   * escaped here would end the process.
   */
  private execute<H extends RegisteredHandler, C extends ChannelRoute | undefined>(
    connection: WsConnection,
    message: ReceivedMessage,
    handler: H,
    onResult: ResultCallback<H, C>,
    context: C,
  ): Promise<void> | undefined {
    let result: unknown;
    try {
      // A subscribe's route: the concrete channel, for the parameters of the method and of its guards.
      result =
        this.tracer === null
          ? handler.invoke(connection, message.data, context)
          : this.tracer.invoke(handler, connection, message, context);
      // Inside the try: reading `then` runs the result's getter, if it has one.
      if (isThenable(result)) {
        // Closures only for a handler that did not complete at once.
        return Promise.resolve(result).then(
          (value) => this.deliver(connection, message, handler, onResult, context, value),
          (exception: unknown) => this.sendException(connection, message, handler, exception),
        );
      }
    } catch (exception) {
      return this.sendException(connection, message, handler, exception);
    }
    return this.deliver(connection, message, handler, onResult, context, result);
  }

  /** Never throws, and its Promise (while `onResult` still runs) never rejects. */
  private deliver<H extends RegisteredHandler, C>(
    connection: WsConnection,
    message: ReceivedMessage,
    handler: H,
    onResult: ResultCallback<H, C>,
    context: C,
    result: unknown,
  ): Promise<void> | undefined {
    let running: Promise<void> | undefined;
    try {
      running = onResult(connection, message, handler, result, context);
    } catch (exception) {
      // A result JSON cannot hold (or whose getters throw): the client is told, the result is not altered.
      const what = `The result of ${describeHandler(handler)} cannot be sent`;
      return this.sendInternalError(connection, message, what, exception);
    }
    // A completion still running (a subscribe reading its history) fails as a handler would: a
    // `HistoryUnavailableError` is `UNAVAILABLE`, anything not meant for clients `INTERNAL_ERROR`.
    return running?.catch((exception: unknown) => this.sendException(connection, message, handler, exception));
  }

  /** Sends what the client is told about `exception`; never throws, even if the exception cannot be serialized. */
  private sendException(
    connection: WsConnection,
    message: ReceivedMessage,
    handler: RegisteredHandler,
    exception: unknown,
  ): undefined {
    let frame: string;
    try {
      const payload = mapException(exception, isGuardException(exception) ? 'guard' : 'handler');
      if (!payload) {
        const what = `Unhandled exception in ${describeHandler(handler)}`;
        return this.sendInternalError(connection, message, what, exception);
      }
      frame = errorFrame(withContext(payload, message.channel, message.id));
    } catch (failure) {
      const what = `The error thrown by ${describeHandler(handler)} cannot be sent`;
      return this.sendInternalError(connection, message, what, failure);
    }
    this.noteFailure(message);
    connection.sendFrame(frame);
    return undefined;
  }

  /** `INTERNAL_ERROR` for the client; the cause goes to the log, as often as the limiter allows. */
  private sendInternalError(
    connection: WsConnection,
    message: ReceivedMessage,
    what: string,
    exception: unknown,
  ): undefined {
    this.errorLog.error(what, exception);
    this.noteFailure(message);
    return this.reject(connection, withContext(internalError(), message.channel, message.id));
  }

  private rejectMessage(connection: WsConnection, message: ReceivedMessage, code: string, text: string): undefined {
    return this.reject(connection, withContext({ code, message: text }, message.channel, message.id));
  }

  private reject(connection: WsConnection, error: ErrorPayload): undefined {
    connection.sendFrame(errorFrame(error));
    return undefined;
  }
}

/**
 * What `execute` does with a handler's result, given the `context` of the call (it catches what this
 * throws, and what its Promise rejects with); a Promise only while it still runs.
 */
type ResultCallback<H extends RegisteredHandler, C> = (
  connection: WsConnection,
  message: ReceivedMessage,
  handler: H,
  result: unknown,
  context: C,
) => Promise<void> | undefined;

function describeHandler(handler: RegisteredHandler): string {
  const { kind, name } = handler.target;
  return `${kind} '${name}' (${describeTarget(handler.target)})`;
}

function isThenable(value: unknown): value is PromiseLike<unknown> {
  return typeof (value as PromiseLike<unknown> | null)?.then === 'function';
}
