import { Injectable } from '@nestjs/common';
import { NO_PARAMS, type ChannelPattern } from '../channels/channel-pattern.js';
import type { SocketActionMetadata } from '../decorators/socket-action.decorator.js';
import type { SocketChannelMetadata } from '../decorators/socket-channel.decorator.js';
import type { GuardCheck, HandlerInvoker } from '../handlers/handler-invoker.factory.js';
import type { ChannelParams, ChannelRoute } from '../interfaces/channel-stream.interface.js';
import type { ParamsBinder } from '../handlers/params-binder.js';
import type { ToWire } from '../handlers/output-check.js';
import type { ActionDurations } from '../metrics/action-durations.js';
import { describeTarget, SocketApiDeclarationError, type HandlerTarget } from '../handlers/handler-target.js';
import { ChannelPatterns } from './channel-patterns.js';

export interface RegisteredHandler<Options = SocketActionMetadata> {
  target: HandlerTarget;
  /** The decorator's options, as declared: what the generated document says about the handler. */
  options: Options;
  /** Fills the method's parameters from a message's `data` (used by `invoke`, and by the HTTP bridge). */
  binder: ParamsBinder;
  invoke: HandlerInvoker;
  /**
   * What its reply (an action's) or its initial data (a channel's) becomes on the wire, when
   * `outputValidation` projects it to the declared type; absent: `toPlain` (sent as returned).
   */
  toWire?: ToWire;
  /** An action's duration histogram while metrics are on; `undefined` otherwise (and for a channel). */
  durations?: ActionDurations;
}

export interface RegisteredChannel extends RegisteredHandler<SocketChannelMetadata> {
  /** The declared name compiled: exact, or with `:params` (a family of concrete channels). */
  pattern: ChannelPattern;
  initialData: boolean;
  /**
   * Whether the channel's guards still let this connection in (after its credentials changed), with
   * the `data` of its subscribe message; absent when the channel has no guards.
   */
  admits?: GuardCheck;
}

/** The declared channel a client's channel name designates, with the concrete route it asked for. */
export interface ResolvedChannel extends ChannelRoute {
  readonly handler: RegisteredChannel;
  readonly name: string;
  readonly params: ChannelParams;
}

/** Every action and channel of the app by name: the router's table. */
@Injectable()
export class SocketApiRegistry {
  readonly actions = new Map<string, RegisteredHandler>();
  /** Every channel by its declared name (`rooms/:roomId` for a pattern). */
  readonly channels = new Map<string, RegisteredChannel>();
  private readonly patterns = new ChannelPatterns<RegisteredChannel>();

  addAction(handler: RegisteredHandler): void {
    addUnique(this.actions, handler);
  }

  /** Throws `SocketApiDeclarationError` on a name declared twice, or on a pattern that can match a name another one matches. */
  addChannel(handler: RegisteredChannel): void {
    addUnique(this.channels, handler);
    if (handler.pattern.isPattern) this.patterns.add(handler.pattern, handler);
  }

  /** The channel a client's `name` designates, or undefined when none does. An exact name wins over a pattern. */
  resolveChannel(name: string): ResolvedChannel | undefined {
    const handler = this.channels.get(name);
    // A client naming a pattern itself (`rooms/:roomId`) asks for the room whose id is ':roomId'.
    if (handler && !handler.pattern.isPattern) return { handler, name, params: NO_PARAMS };
    const match = this.patterns.match(name);
    return match && { handler: match.handler, name, params: match.params };
  }
}

function addUnique<T extends RegisteredHandler<unknown>>(handlers: Map<string, T>, handler: T): void {
  const { kind, name } = handler.target;
  const existing = handlers.get(name);
  if (existing) {
    throw new SocketApiDeclarationError(
      handler.target,
      `${kind} '${name}' is already declared by ${describeTarget(existing.target)}.`,
    );
  }
  handlers.set(name, handler);
}
