import { Injectable, type Type } from '@nestjs/common';
import { DiscoveryService, MetadataScanner } from '@nestjs/core';
import type { InstanceWrapper } from '@nestjs/core/injector/instance-wrapper.js';
import { SocketApiDeclarationError, type HandlerTarget } from '../handlers/handler-target.js';
import type { DiscoveredHandlers } from './discovered-handlers.js';
import { SocketApiMetadataAccessor } from './socket-api-metadata.accessor.js';

type Method = (...args: unknown[]) => unknown;

/**
 * Finds every `@SocketAction`/`@SocketChannel` method and connection hook on the app's providers and
 * controllers, and returns them as data. It refuses what cannot be served (a method that is both, a
 * handler on a request-scoped provider) but compiles and registers nothing: `SocketApiOrchestrator` does.
 */
@Injectable()
export class SocketApiExplorer {
  constructor(
    private readonly discovery: DiscoveryService,
    private readonly scanner: MetadataScanner,
    private readonly metadata: SocketApiMetadataAccessor,
  ) {}

  explore(): DiscoveredHandlers {
    const found: DiscoveredHandlers = { actions: [], channels: [], connectHooks: [], disconnectHooks: [] };
    for (const wrapper of [...this.discovery.getProviders(), ...this.discovery.getControllers()]) {
      this.exploreInstance(wrapper, found);
    }
    return found;
  }

  private exploreInstance(wrapper: InstanceWrapper, found: DiscoveredHandlers): void {
    const instance: unknown = wrapper.instance;
    if (!instance || typeof instance !== 'object' || wrapper.isAlias) return;
    const prototype = Object.getPrototypeOf(instance) as Record<string, Method>;
    for (const methodName of this.scanner.getAllMethodNames(prototype)) {
      const method = prototype[methodName];
      this.exploreHooks(instance, methodName, method, found);
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
      this.assertServable(wrapper, target, Boolean(action && channel));
      if (channel) found.channels.push({ target, metadata: channel });
      else found.actions.push({ target, metadata: action! });
    }
  }

  private exploreHooks(instance: object, methodName: string, method: Method, found: DiscoveredHandlers): void {
    const name = `${instance.constructor.name}.${methodName}()`;
    if (this.metadata.isConnectHook(method)) found.connectHooks.push({ name, run: method.bind(instance) });
    if (this.metadata.isDisconnectHook(method)) found.disconnectHooks.push({ name, run: method.bind(instance) });
  }

  private assertServable(wrapper: InstanceWrapper, target: HandlerTarget, both: boolean): void {
    if (both) {
      throw new SocketApiDeclarationError(
        target,
        'a method is either a @SocketAction() or a @SocketChannel(), not both.',
      );
    }
    if (!wrapper.isDependencyTreeStatic() || wrapper.isTransient) {
      throw new SocketApiDeclarationError(
        target,
        `${target.kind} '${target.name}' is on a request-scoped or transient provider; socket handlers need a singleton.`,
      );
    }
  }
}
