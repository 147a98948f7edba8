import { Inject, Injectable, Logger, type OnModuleInit, type Type } from '@nestjs/common';
import { FanOutChannelFamily } from '../channels/channel-family.js';
import { ChannelHub } from '../channels/channel-hub.js';
import { ChannelPattern } from '../channels/channel-pattern.js';
import { resolveHistoryLimits } from '../channels/history-limits.js';
import { ConnectionHooks } from '../handlers/connection-hooks.js';
import type { HistoryLimits } from '../interfaces/channel-stream.interface.js';
import type { SocketHandlerOptions } from '../interfaces/socket-action-options.interface.js';
import type { ChannelHistoryOptions, ChannelPresenceOptions } from '../interfaces/socket-channel-options.interface.js';
import { HandlerInvokerFactory } from '../handlers/handler-invoker.factory.js';
import { ParamsBinder, type BinderOptions } from '../handlers/params-binder.js';
import { compileOutputCheck, type ToWire } from '../handlers/output-check.js';
import { SOCKET_API_METRICS, type SocketApiMetrics } from '../metrics/socket-api-metrics.js';
import type { SocketReplyType } from '../interfaces/socket-reply-type.interface.js';
import { OUTPUT_VALIDATION_MODES } from '../options/validate-options.js';
import { RESOLVED_SOCKET_API_OPTIONS, type ResolvedSocketApiOptions } from '../options/resolved-options.js';
import { SocketApiDeclarationError, type HandlerTarget } from '../handlers/handler-target.js';
import { SocketApiRegistry } from '../registry/socket-api.registry.js';
import { DATA_PARAM } from '../socket-api.constants.js';
import { findDtoTraps } from '../validation/dto-traps.js';
import { dtoTrapsFound } from '../validation/validation.messages.js';
import type { DiscoveredAction, DiscoveredChannel } from './discovered-handlers.js';
import { concreteChannelOf, publishOnCall } from './publish-on-call.js';
import { SocketApiExplorer } from './socket-api.explorer.js';

/**
 * Turns what the explorer found into what serves messages, once, as the module starts: each handler
 * is compiled (its parameter binder and enhancer chain built ahead of any message) and registered in
 * `SocketApiRegistry`, the routing table; each channel is declared with its options, and its method
 * made to publish when called; connection hooks go to `ConnectionHooks`.
 */
@Injectable()
export class SocketApiOrchestrator implements OnModuleInit {
  constructor(
    private readonly explorer: SocketApiExplorer,
    private readonly registry: SocketApiRegistry,
    private readonly invokers: HandlerInvokerFactory,
    private readonly channels: ChannelHub,
    private readonly hooks: ConnectionHooks,
    @Inject(RESOLVED_SOCKET_API_OPTIONS) private readonly options: ResolvedSocketApiOptions,
    @Inject(SOCKET_API_METRICS) private readonly metrics: SocketApiMetrics | null,
  ) {}

  onModuleInit(): void {
    const { actions, channels, connectHooks, disconnectHooks } = this.explorer.explore();
    for (const hook of connectHooks) this.hooks.addConnectHook(hook.name, hook.run);
    for (const hook of disconnectHooks) this.hooks.addDisconnectHook(hook.name, hook.run);
    for (const action of actions) this.registerAction(action);
    for (const channel of channels) this.registerChannel(channel);
    this.checkDtos();
  }

  /** The startup check of the DTOs that handlers' `data` is read into (`validation.startupCheck`). */
  private checkDtos(): void {
    const { startupCheck } = this.options.validation;
    if (startupCheck === 'off') return;
    const dtos = new Set<Type<object>>();
    for (const handler of [...this.registry.actions.values(), ...this.registry.channels.values()]) {
      for (const param of handler.binder.params) {
        if (param.kind === DATA_PARAM && typeof param.metatype === 'function') {
          dtos.add(param.metatype as Type<object>);
        }
      }
    }
    const problems = findDtoTraps(dtos);
    if (problems.length === 0) return;
    if (startupCheck === 'error') throw new Error(dtoTrapsFound(problems));
    const logger = new Logger('SocketApi');
    for (const problem of problems) logger.warn(problem);
  }

  private registerAction({ target, metadata }: DiscoveredAction): void {
    const toWire = this.outputCheck(target, metadata, metadata.reply);
    const durations = this.metrics?.durationsOf(target.name);
    this.registry.addAction({ target, options: metadata, ...this.compile(target, metadata), toWire, durations });
  }

  private registerChannel({ target, metadata }: DiscoveredChannel): void {
    const pattern = compilePattern(target);
    const { slowConsumer, filter } = metadata;
    if (filter !== undefined && typeof filter !== 'function') {
      throw new SocketApiDeclarationError(target, `the filter of channel '${target.name}' must be a function.`);
    }
    const compiled = this.compile(target, metadata);
    const history = metadata.history && historyLimits(target, metadata.history);
    const presence = metadata.presence && checkedPresence(target, metadata.presence);
    const toWire = this.outputCheck(target, metadata, metadata.payload);
    const declared = this.channels.declare(pattern, { slowConsumer, filter, history, presence, toWire });
    this.registry.addChannel({
      target,
      options: metadata,
      ...compiled,
      toWire,
      pattern,
      initialData: metadata.initialData ?? false,
      admits: this.invokers.createGuardCheck(target),
    });
    publishOnCall(
      target,
      declared instanceof FanOutChannelFamily ? concreteChannelOf(declared, compiled.binder.params) : () => declared,
    );
  }

  private compile(target: HandlerTarget, metadata: SocketHandlerOptions) {
    if (metadata.strictInput !== undefined && typeof metadata.strictInput !== 'boolean') {
      throw new SocketApiDeclarationError(target, 'the strictInput option must be true or false.');
    }
    const binder = ParamsBinder.compile(target, this.binderOptions(metadata));
    return { binder, invoke: this.invokers.create(target, binder) };
  }

  /** What the handler's declared reply or payload becomes on the wire under `outputValidation`, if it is projected. */
  private outputCheck(
    target: HandlerTarget,
    metadata: SocketHandlerOptions,
    type: SocketReplyType | undefined,
  ): ToWire | undefined {
    const own = metadata.outputValidation;
    if (own !== undefined && !OUTPUT_VALIDATION_MODES.includes(own)) {
      throw new SocketApiDeclarationError(
        target,
        `outputValidation must be 'error', 'warn' or 'off', got ${JSON.stringify(own)}.`,
      );
    }
    if (own !== undefined && own !== 'off' && type === undefined) {
      const option = target.kind === 'action' ? 'reply' : 'payload';
      throw new SocketApiDeclarationError(
        target,
        `outputValidation '${own}' needs a declared ${option} type: there is nothing to project the value to.`,
      );
    }
    const { validator } = this.binderOptions(metadata);
    const { serialization, errorLogIntervalMs } = this.options;
    return compileOutputCheck(target, type, {
      mode: own ?? this.options.outputValidation,
      validator,
      serialization,
      errorLogIntervalMs,
    });
  }

  private binderOptions(metadata: SocketHandlerOptions): BinderOptions {
    const { validator, transformer, strictInput } = this.options.validation;
    return {
      validator: { ...validator, ...metadata.validation },
      transformer,
      strictInput: metadata.strictInput ?? strictInput,
    };
  }
}

function compilePattern(target: HandlerTarget): ChannelPattern {
  try {
    return ChannelPattern.compile(target.name);
  } catch (error) {
    throw new SocketApiDeclarationError(target, (error as Error).message);
  }
}

/** A channel's `history` option, checked: a bad one is a startup error naming the method. */
/** `presence: true | { info?, joinLeave? }`, checked at startup rather than failing at the first subscribe. */
function checkedPresence(
  target: HandlerTarget,
  presence: true | ChannelPresenceOptions,
): true | ChannelPresenceOptions {
  if (presence === true) return presence;
  const valid =
    typeof presence === 'object' &&
    (presence.info === undefined || typeof presence.info === 'function') &&
    (presence.joinLeave === undefined || typeof presence.joinLeave === 'boolean');
  if (!valid) {
    throw new SocketApiDeclarationError(
      target,
      `the presence of channel '${target.name}' must be true or { info?: function, joinLeave?: boolean }.`,
    );
  }
  return presence;
}

function historyLimits(target: HandlerTarget, options: ChannelHistoryOptions): HistoryLimits {
  try {
    return resolveHistoryLimits(options);
  } catch (problem) {
    throw new SocketApiDeclarationError(target, `channel '${target.name}': ${(problem as Error).message}`);
  }
}
