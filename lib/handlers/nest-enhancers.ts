import { Injectable } from '@nestjs/common';
import { ExternalContextCreator, type ApplicationConfig, type NestContainer } from '@nestjs/core';
import { ExternalExceptionFilterContext } from '@nestjs/core/exceptions/external-exception-filter-context.js';
import {
  GuardsConsumer,
  GuardsContextCreator,
  InterceptorsConsumer,
  InterceptorsContextCreator,
  PipesConsumer,
  PipesContextCreator,
} from '@nestjs/core/internal';

/**
 * Nest's own machinery for guards, interceptors, pipes and exception filters, set up on the app's
 * container the way `@nestjs/websockets` sets it up for gateways. Nest hands a library its
 * container only inside `ExternalContextCreator`; we build the separate pieces from it so that we
 * decide how errors are reported and skip every stage that no enhancer needs.
 */
@Injectable()
export class NestEnhancers {
  readonly config: ApplicationConfig;
  readonly guards: GuardsContextCreator;
  readonly guardsConsumer = new GuardsConsumer();
  readonly interceptors: InterceptorsContextCreator;
  readonly interceptorsConsumer = new InterceptorsConsumer();
  readonly pipes: PipesContextCreator;
  readonly pipesConsumer = new PipesConsumer();
  readonly filters: ExternalExceptionFilterContext;

  constructor(externalContextCreator: ExternalContextCreator) {
    const container = (externalContextCreator as unknown as { container: NestContainer }).container;
    const config = container.applicationConfig;
    if (!config) throw new Error('nestjs-socketapi needs a Nest application (its ApplicationConfig was not found).');
    this.config = config;
    this.guards = new GuardsContextCreator(container, config);
    this.interceptors = new InterceptorsContextCreator(container, config);
    this.pipes = new PipesContextCreator(container, config);
    this.filters = new ExternalExceptionFilterContext(container, config);
  }
}
