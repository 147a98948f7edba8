import { Inject, Injectable, type OnModuleInit, type Type } from '@nestjs/common';
import { DiscoveryService, MetadataScanner } from '@nestjs/core';
import type { InstanceWrapper } from '@nestjs/core/injector/instance-wrapper.js';
import type { Channel } from '../channels/channel.js';
import { ChannelHub } from '../channels/channel-hub.js';
import type { SocketActionMetadata } from '../decorators/socket-action.decorator.js';
import type { SocketChannelMetadata } from '../decorators/socket-channel.decorator.js';
import { ConnectionHooks } from '../gateway/connection-hooks.js';
import { HandlerInvokerFactory } from '../handlers/handler-invoker.factory.js';
import { ParamsBinder, type BinderOptions } from '../handlers/params-binder.js';
import { RESOLVED_SOCKET_API_OPTIONS, type ResolvedSocketApiOptions } from '../options/resolved-options.js';
import { SocketApiDeclarationError, type HandlerTarget } from '../registry/handler-target.js';
import { SocketApiRegistry } from '../registry/socket-api.registry.js';
import { SocketApiMetadataAccessor } from './socket-api-metadata.accessor.js';

type Method = (...args: unknown[]) => unknown;

/**
 * Finds every `@SocketAction`/`@SocketChannel` method (and connection hook) on the app's providers
 * and controllers at startup, and registers it with everything a message needs already built: its parameter binder
 * and its enhancer chain. Channel methods are also wrapped so that calling them publishes.
 */
@Injectable()
export class SocketApiExplorer implements OnModuleInit {
  constructor(
    private readonly discovery: DiscoveryService,
    private readonly scanner: MetadataScanner,
    private readonly metadata: SocketApiMetadataAccessor,
    private readonly registry: SocketApiRegistry,
    private readonly invokers: HandlerInvokerFactory,
    private readonly channels: ChannelHub,
    private readonly hooks: ConnectionHooks,
    @Inject(RESOLVED_SOCKET_API_OPTIONS) private readonly options: ResolvedSocketApiOptions,
  ) {}

  onModuleInit(): void {
    for (const wrapper of [...this.discovery.getProviders(), ...this.discovery.getControllers()]) {
      this.explore(wrapper);
    }
  }

  private explore(wrapper: InstanceWrapper): void {
    const { instance } = wrapper;
    if (!instance || typeof instance !== 'object' || wrapper.isAlias) return;
    const prototype = Object.getPrototypeOf(instance) as Record<string, Method>;
    for (const methodName of this.scanner.getAllMethodNames(prototype)) {
      const method = prototype[methodName];
      this.exploreHooks(instance, methodName, method);
      const action = this.metadata.getAction(method);
      const channel = this.metadata.getChannel(method);
      if (!action && !channel) continue;
      const target: HandlerTarget = {
        kind: channel ? 'channel' : 'action',
        name: (channel ?? action)!.name,
        instance,
        classRef: instance.constructor as Type,
        methodName,
        method,
        moduleKey: wrapper.host?.token ?? '',
      };
      this.assertDeclarable(wrapper, target, Boolean(action && channel));
      if (channel) this.registerChannel(target, channel);
      else this.registerAction(target, action!);
    }
  }

  private exploreHooks(instance: object, methodName: string, method: Method): void {
    const name = `${instance.constructor.name}.${methodName}()`;
    const run = method.bind(instance);
    if (this.metadata.isConnectHook(method)) this.hooks.addConnectHook(name, run);
    if (this.metadata.isDisconnectHook(method)) this.hooks.addDisconnectHook(name, run);
  }

  private assertDeclarable(wrapper: InstanceWrapper, target: HandlerTarget, both: boolean): void {
    if (both) {
      throw new SocketApiDeclarationError(target, 'a method is either a @SocketAction() or a @SocketChannel(), not both.');
    }
    if (!wrapper.isDependencyTreeStatic() || wrapper.isTransient) {
      throw new SocketApiDeclarationError(
        target,
        `${target.kind} '${target.name}' is on a request-scoped or transient provider; socket handlers need a singleton.`,
      );
    }
  }

  private registerAction(target: HandlerTarget, metadata: SocketActionMetadata): void {
    this.registry.addAction({ target, ...this.compile(target, metadata) });
  }

  private registerChannel(target: HandlerTarget, metadata: SocketChannelMetadata): void {
    const channel = this.channels.get(target.name);
    this.registry.addChannel({
      target,
      ...this.compile(target, metadata),
      channel,
      initialData: metadata.initialData ?? false,
      admits: this.invokers.createGuardCheck(target),
    });
    channel.declared = true;
    channel.dropsForSlowConsumers = metadata.slowConsumer === 'drop';
    publishOnCall(target, channel);
  }

  private compile(target: HandlerTarget, metadata: SocketActionMetadata) {
    const binder = ParamsBinder.compile(target, this.binderOptions(metadata));
    return { binder, invoke: this.invokers.create(target, binder) };
  }

  private binderOptions(metadata: SocketActionMetadata): BinderOptions {
    const { validator, transformer } = this.options.validation ?? {};
    return { validator: { ...validator, ...metadata.validation }, transformer: transformer ?? {} };
  }
}

/**
 * SocketAPI's semantics: calling a channel method from server code runs it and publishes what it
 * returns. The DI instance gets its own wrapper, so `this.chat()` and `service.chat()` both publish,
 * while the library calls the original when a client subscribes.
 */
function publishOnCall(target: HandlerTarget, channel: Channel): void {
  const { instance, method } = target;
  const publish = (value: unknown) => {
    channel.publish(value);
    return value;
  };
  Object.defineProperty(instance, target.methodName, {
    configurable: true,
    writable: true,
    value: function publishing(this: unknown, ...args: unknown[]) {
      const result = method.apply(this, args);
      return result instanceof Promise ? result.then(publish) : publish(result);
    },
  });
}
