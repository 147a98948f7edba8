import { ConfigurableModuleBuilder } from '@nestjs/common';
import type { SocketApiModuleOptions } from './interfaces/socket-api-options.interface.js';

export const {
  ConfigurableModuleClass: SocketApiConfigurableModule,
  MODULE_OPTIONS_TOKEN: SOCKET_API_OPTIONS,
  OPTIONS_TYPE: SOCKET_API_OPTIONS_TYPE,
  ASYNC_OPTIONS_TYPE: SOCKET_API_ASYNC_OPTIONS_TYPE,
} = new ConfigurableModuleBuilder<SocketApiModuleOptions>().setClassMethodName('forRoot').build();
