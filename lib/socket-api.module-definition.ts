import { ConfigurableModuleBuilder, type DynamicModule, type Provider } from '@nestjs/common';
import type { SocketApiModuleOptions } from './interfaces/socket-api-options.interface.js';
import { validateOptions } from './options/validate-options.js';

export const {
  ConfigurableModuleClass: SocketApiConfigurableModule,
  MODULE_OPTIONS_TOKEN: SOCKET_API_OPTIONS,
  OPTIONS_TYPE: SOCKET_API_OPTIONS_TYPE,
  ASYNC_OPTIONS_TYPE: SOCKET_API_ASYNC_OPTIONS_TYPE,
} = new ConfigurableModuleBuilder<SocketApiModuleOptions>()
  .setClassMethodName('forRoot')
  .setExtras({}, (definition) => withValidatedOptions(definition))
  .build();

/**
 * The options provider, whichever way it was given (`forRoot`'s value, `forRootAsync`'s factory,
 * class or existing provider: all become a factory), validated once as it is created: invalid
 * options fail the app's startup with a message naming each problem.
 */
function withValidatedOptions(definition: DynamicModule): DynamicModule {
  const validated = (provider: Provider): Provider => {
    if (typeof provider !== 'object' || provider.provide !== SOCKET_API_OPTIONS) return provider;
    if ('useValue' in provider) {
      return { provide: SOCKET_API_OPTIONS, useFactory: () => validateOptions(provider.useValue) };
    }
    if ('useFactory' in provider) {
      const factory = provider.useFactory;
      return { ...provider, useFactory: async (...args: unknown[]) => validateOptions(await factory(...args)) };
    }
    return provider;
  };
  return { ...definition, providers: definition.providers?.map(validated) };
}
