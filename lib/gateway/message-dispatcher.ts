import { Inject, Injectable, Logger } from '@nestjs/common';
import { isGuardException } from '../handlers/handler-invoker.factory.js';
import type { SocketApiModuleOptions } from '../interfaces/socket-api-options.interface.js';
import { ErrorCode } from '../protocol/error-codes.js';
import { internalError, mapException } from '../protocol/exception-mapper.js';
import type { ClientMessage, ErrorPayload } from '../protocol/messages.js';
import { parseClientMessage, withContext } from '../protocol/parse-client-message.js';
import {
  actionReply,
  dataFrame,
  errorFrame,
  pongReply,
  subscribedReply,
  unsubscribedReply,
} from '../protocol/server-messages.js';
import { toPlain } from '../protocol/to-plain.js';
import type { RegisteredChannel, RegisteredHandler } from '../registry/socket-api.registry.js';
import { SocketApiRegistry } from '../registry/socket-api.registry.js';
import { describeTarget } from '../registry/handler-target.js';
import { SOCKET_API_OPTIONS } from '../socket-api.module-definition.js';
import type { SocketConnection } from './socket-connection.js';

/**
 * Handles every frame of every connection: envelope checks, routing to actions and channels,
 * replies and errors. Frames of one connection are handled in the order received, `concurrency`
 * at a time; whatever a frame holds, it is answered and the connection stays usable.
 */
@Injectable()
export class MessageDispatcher {
  private readonly logger = new Logger('SocketApi');
  private readonly concurrency: number;
  private readonly serialization: SocketApiModuleOptions['serialization'];

  constructor(
    private readonly registry: SocketApiRegistry,
    @Inject(SOCKET_API_OPTIONS) options: SocketApiModuleOptions,
  ) {
    this.concurrency = Math.max(1, Math.floor(options.concurrency ?? 1));
    this.serialization = options.serialization;
  }

  receive(connection: SocketConnection, data: Buffer, isBinary: boolean): void {
    if (connection.active < this.concurrency && !connection.pending?.length) {
      this.run(connection, data, isBinary);
    } else {
      (connection.pending ??= []).push({ data, isBinary });
    }
  }

  /** Forgets the connection: its subscriptions and the frames it left waiting. */
  disconnect(connection: SocketConnection): void {
    for (const channel of connection.leaveAll()) channel.subscribers.delete(connection);
    connection.pending = undefined;
  }

  private run(connection: SocketConnection, data: Buffer, isBinary: boolean): void {
    connection.active++;
    const done = this.handle(connection, data, isBinary);
    if (done) void done.then(() => this.release(connection));
    else connection.active--;
  }

  private release(connection: SocketConnection): void {
    connection.active--;
    // A loop, not recursion: frames that complete synchronously must not deepen the stack.
    while (connection.active < this.concurrency && connection.pending?.length) {
      const next = connection.pending.shift()!;
      this.run(connection, next.data, next.isBinary);
    }
    if (connection.pending?.length === 0) connection.pending = undefined;
  }

  /** Returns a Promise only while a handler is still running. */
  private handle(connection: SocketConnection, data: Buffer, isBinary: boolean): Promise<void> | undefined {
    if (isBinary) {
      return this.reject(connection, { code: ErrorCode.INVALID_MESSAGE, message: 'Binary frames are not supported.' });
    }
    const parsed = parseClientMessage(data);
    if ('error' in parsed) return this.reject(connection, parsed.error);
    const { message } = parsed;
    switch (message.type) {
      case 'ping':
        connection.sendFrame(pongReply(message.id));
        return undefined;
      case 'action':
        return this.runAction(connection, message);
      case 'subscribe':
        return this.subscribe(connection, message);
      case 'unsubscribe':
        return this.unsubscribe(connection, message);
    }
  }

  private runAction(connection: SocketConnection, message: ClientMessage): Promise<void> | undefined {
    const action = this.registry.actions.get(message.channel);
    if (!action) {
      return this.rejectMessage(connection, message, ErrorCode.ACTION_NOT_FOUND, `Action '${message.channel}' not found.`);
    }
    return this.execute(connection, message, action, (result) => {
      connection.sendFrame(actionReply(message.channel, toPlain(result, this.serialization), message.id));
    });
  }

  /**
   * SocketAPI's subscribe: the channel method runs (and may refuse by throwing), the client is
   * added, `subscribed` is sent, then the initial data if the channel has it.
   */
  private subscribe(connection: SocketConnection, message: ClientMessage): Promise<void> | undefined {
    const handler = this.registry.channels.get(message.channel);
    if (!handler) {
      return this.rejectMessage(connection, message, ErrorCode.CHANNEL_NOT_FOUND, `Channel '${message.channel}' not found.`);
    }
    return this.execute(connection, message, handler, (result) => {
      // A client that left while the channel method ran must not be added back.
      if (!connection.isOpen) return;
      const initial = handler.initialData ? dataFrame(message.channel, toPlain(result, this.serialization)) : undefined;
      this.addSubscriber(connection, handler);
      connection.sendFrame(subscribedReply(message.channel, message.id));
      if (initial !== undefined) connection.sendFrame(initial);
    });
  }

  private addSubscriber(connection: SocketConnection, { channel }: RegisteredChannel): void {
    channel.subscribers.add(connection);
    connection.join(channel);
  }

  private unsubscribe(connection: SocketConnection, message: ClientMessage): undefined {
    const channel = this.registry.channels.get(message.channel)?.channel;
    if (channel) {
      channel.subscribers.delete(connection);
      connection.leave(channel);
    }
    connection.sendFrame(unsubscribedReply(message.channel, message.id));
    return undefined;
  }

  /** Runs a handler; its result goes to `onResult`, anything thrown to the client as an error. */
  private execute(
    connection: SocketConnection,
    message: ClientMessage,
    handler: RegisteredHandler,
    onResult: (result: unknown) => void,
  ): Promise<void> | undefined {
    const fail = (exception: unknown) => this.sendException(connection, message, handler, exception);
    const deliver = (result: unknown) => {
      try {
        onResult(result);
      } catch (exception) {
        fail(exception); // e.g. a result JSON cannot hold
      }
    };
    let result: unknown;
    try {
      result = handler.invoke(connection, message.data);
    } catch (exception) {
      return fail(exception);
    }
    if (isThenable(result)) return Promise.resolve(result).then(deliver, fail);
    deliver(result);
    return undefined;
  }

  private sendException(
    connection: SocketConnection,
    message: ClientMessage,
    handler: RegisteredHandler,
    exception: unknown,
  ): undefined {
    const payload = mapException(exception, isGuardException(exception) ? 'guard' : 'handler');
    if (!payload) {
      const { kind, name } = handler.target;
      const stack = exception instanceof Error ? exception.stack : String(exception);
      this.logger.error(`Unhandled exception in ${kind} '${name}' (${describeTarget(handler.target)})`, stack);
    }
    return this.reject(connection, withContext(payload ?? internalError(), message.channel, message.id));
  }

  private rejectMessage(connection: SocketConnection, message: ClientMessage, code: string, text: string): undefined {
    return this.reject(connection, withContext({ code, message: text }, message.channel, message.id));
  }

  private reject(connection: SocketConnection, error: ErrorPayload): undefined {
    connection.sendFrame(errorFrame(error));
    return undefined;
  }
}

function isThenable(value: unknown): value is PromiseLike<unknown> {
  return typeof (value as PromiseLike<unknown> | null)?.then === 'function';
}
