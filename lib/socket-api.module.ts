import { Logger, Module, type DynamicModule, type Provider } from '@nestjs/common';
import { DiscoveryModule } from '@nestjs/core';
import { ConnectGuards } from './auth/connect-guards.js';
import { ConnectionIdentities } from './gateway/connection-identities.js';
import { BroadcastBridge } from './broadcast/broadcast-bridge.js';
import { createBroker } from './broker/create-broker.js';
import { ChannelHub } from './channels/channel-hub.js';
import { ChannelPattern } from './channels/channel-pattern.js';
import { Subscriptions } from './channels/subscriptions.js';
import { getChannelToken, getInjectedChannelNames } from './decorators/channel-tokens.js';
import { SocketApiContractHash } from './contract/socket-api-contract-hash.js';
import { AsyncApiDocumentFactory } from './docs/asyncapi-document.factory.js';
import { DocsServer } from './docs/docs-server.js';
import { SocketApiMetadataAccessor } from './discovery/socket-api-metadata.accessor.js';
import { SocketApiExplorer } from './discovery/socket-api.explorer.js';
import { SocketApiOrchestrator } from './discovery/socket-api.orchestrator.js';
import { ConnectionHooks } from './handlers/connection-hooks.js';
import { HandshakeVerifier } from './gateway/handshake-verifier.js';
import { HealthServer } from './health/health-server.js';
import { Readiness } from './health/readiness.js';
import { ServingState } from './health/serving-state.js';
import { SocketApiHealthIndicator } from './health/socket-api-health-indicator.js';
import { InboundQueue } from './gateway/inbound-queue.js';
import { MessageRouter } from './gateway/message-router.js';
import { PresenceRequest } from './gateway/presence-request.js';
import { SubscribeFlow } from './gateway/subscribe-flow.js';
import { SocketServer } from './gateway/socket-server.js';
import { SocketApiConnections } from './gateway/socket-api-connections.js';
import { UserConnections } from './gateway/user-connections.js';
import { HandlerInvokerFactory } from './handlers/handler-invoker.factory.js';
import { NestEnhancers } from './handlers/nest-enhancers.js';
import { CONTRACT_HASH_SOURCE } from './interfaces/contract-hash-source.interface.js';
import type { SocketApiModuleOptions } from './interfaces/socket-api-options.interface.js';
import { MetricsServer } from './metrics/metrics-server.js';
import { SOCKET_API_METRICS, SocketApiMetrics } from './metrics/socket-api-metrics.js';
import { resolveOptions } from './options/resolve-options.js';
import { RESOLVED_SOCKET_API_OPTIONS, type ResolvedSocketApiOptions } from './options/resolved-options.js';
import { SocketApiRegistry } from './registry/socket-api.registry.js';
import { HANDLER_TRACER, HandlerTracer } from './tracing/handler-tracer.js';
import { SOCKET_API_BROKER } from './socket-api.constants.js';
import {
  SOCKET_API_ASYNC_OPTIONS_TYPE,
  SOCKET_API_OPTIONS,
  SOCKET_API_OPTIONS_TYPE,
  SocketApiConfigurableModule,
} from './socket-api.module-definition.js';

/**
 * Serves the app's `@SocketAction`/`@SocketChannel` methods over one WebSocket. Import it once, in
 * the root module, with `forRoot()` or `forRootAsync()`; it is global.
 */
@Module({
  imports: [DiscoveryModule],
  providers: [
    AsyncApiDocumentFactory,
    BroadcastBridge,
    ChannelHub,
    ConnectGuards,
    ConnectionHooks,
    ConnectionIdentities,
    DocsServer,
    HandlerInvokerFactory,
    HandshakeVerifier,
    HealthServer,
    InboundQueue,
    MessageRouter,
    MetricsServer,
    SubscribeFlow,
    PresenceRequest,
    NestEnhancers,
    Readiness,
    ServingState,
    SocketApiHealthIndicator,
    SocketApiExplorer,
    SocketServer,
    SocketApiConnections,
    UserConnections,
    SocketApiMetadataAccessor,
    SocketApiOrchestrator,
    SocketApiRegistry,
    Subscriptions,
    {
      // The user's options (validated as they are provided) resolved once: every part reads this object.
      provide: RESOLVED_SOCKET_API_OPTIONS,
      useFactory: (options: SocketApiModuleOptions) =>
        resolveOptions(options, (message) => new Logger('SocketApiModule').warn(message)),
      inject: [SOCKET_API_OPTIONS],
    },
    {
      // Off: null, which the server's parts check (and nothing more) on their hot paths.
      provide: SOCKET_API_METRICS,
      useFactory: (options: ResolvedSocketApiOptions) => (options.metrics ? new SocketApiMetrics() : null),
      inject: [RESOLVED_SOCKET_API_OPTIONS],
    },
    {
      // `@opentelemetry/api` is imported only with `tracing: true` (an app may have it without meaning to trace).
      provide: HANDLER_TRACER,
      useFactory: (options: ResolvedSocketApiOptions) => (options.tracing ? HandlerTracer.load() : null),
      inject: [RESOLVED_SOCKET_API_OPTIONS],
    },
    SocketApiContractHash,
    { provide: CONTRACT_HASH_SOURCE, useExisting: SocketApiContractHash },
    {
      provide: SOCKET_API_BROKER,
      useFactory: (options: ResolvedSocketApiOptions) => createBroker(options),
      inject: [RESOLVED_SOCKET_API_OPTIONS],
    },
  ],
  exports: [ChannelHub, SocketApiHealthIndicator, SocketApiConnections],
})
export class SocketApiModule extends SocketApiConfigurableModule {
  static override forRoot(options: typeof SOCKET_API_OPTIONS_TYPE = {}): DynamicModule {
    return withChannelProviders(super.forRoot(options));
  }

  static override forRootAsync(options: typeof SOCKET_API_ASYNC_OPTIONS_TYPE): DynamicModule {
    return withChannelProviders(super.forRootAsync(options));
  }
}

/**
 * `@InjectChannel(name)` needs a provider per name, but names are only known once every class has
 * been defined. Nest reads a dynamic module's providers when it scans the app, after all imports
 * ran, so they are listed then.
 */
function withChannelProviders(module: DynamicModule): DynamicModule {
  const { providers = [], exports = [] } = module;
  return {
    ...module,
    global: true,
    get providers(): Provider[] {
      return [...providers, ...getInjectedChannelNames().map(channelProvider)];
    },
    get exports() {
      return [...exports, SOCKET_API_OPTIONS, ...getInjectedChannelNames().map(getChannelToken)];
    },
  };
}

/** `@InjectChannel(name)`: the `Channel` of an exact name, the `ChannelFamily` of a pattern (`rooms/:roomId`). */
function channelProvider(name: string): Provider {
  const isPattern = ChannelPattern.compile(name).isPattern;
  return {
    provide: getChannelToken(name),
    useFactory: (hub: ChannelHub) => (isPattern ? hub.family(name) : hub.get(name)),
    inject: [ChannelHub],
  };
}
