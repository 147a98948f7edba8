import { Inject, Injectable, type OnModuleInit } from '@nestjs/common';
import { ChannelHub } from '../channels/channel-hub.js';
import { ConnectionHooks } from '../handlers/connection-hooks.js';
import type { SocketHandlerOptions } from '../interfaces/socket-action-options.interface.js';
import { HandlerInvokerFactory } from '../handlers/handler-invoker.factory.js';
import { ParamsBinder, type BinderOptions } from '../handlers/params-binder.js';
import { RESOLVED_SOCKET_API_OPTIONS, type ResolvedSocketApiOptions } from '../options/resolved-options.js';
import type { HandlerTarget } from '../handlers/handler-target.js';
import { SocketApiRegistry } from '../registry/socket-api.registry.js';
import type { DiscoveredAction, DiscoveredChannel } from './discovered-handlers.js';
import { publishOnCall } from './publish-on-call.js';
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
  ) {}

  onModuleInit(): void {
    const { actions, channels, connectHooks, disconnectHooks } = this.explorer.explore();
    for (const hook of connectHooks) this.hooks.addConnectHook(hook.name, hook.run);
    for (const hook of disconnectHooks) this.hooks.addDisconnectHook(hook.name, hook.run);
    for (const action of actions) this.registerAction(action);
    for (const channel of channels) this.registerChannel(channel);
  }

  private registerAction({ target, metadata }: DiscoveredAction): void {
    this.registry.addAction({ target, options: metadata, ...this.compile(target, metadata) });
  }

  private registerChannel({ target, metadata }: DiscoveredChannel): void {
    const compiled = this.compile(target, metadata);
    const channel = this.channels.declare(target.name, {
      slowConsumer: metadata.slowConsumer,
      presence: metadata.presence,
    });
    this.registry.addChannel({
      target,
      options: metadata,
      ...compiled,
      channel,
      initialData: metadata.initialData ?? false,
      admits: this.invokers.createGuardCheck(target),
    });
    publishOnCall(target, channel);
  }

  private compile(target: HandlerTarget, metadata: SocketHandlerOptions) {
    const binder = ParamsBinder.compile(target, this.binderOptions(metadata));
    return { binder, invoke: this.invokers.create(target, binder) };
  }

  private binderOptions(metadata: SocketHandlerOptions): BinderOptions {
    const { validator, transformer } = this.options.validation;
    return { validator: { ...validator, ...metadata.validation }, transformer };
  }
}
