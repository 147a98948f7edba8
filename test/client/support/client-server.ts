import type { Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import type { INestApplication, ModuleMetadata } from '@nestjs/common';
import { Test } from '@nestjs/testing';
import { httpAdapter } from '../../support/platforms.js';
import { SocketApiModule, type SocketApiModuleOptions } from '../../../lib/index.js';
import { ClientApi } from './client-api.js';

export interface ClientTestServer {
  app: INestApplication;
  api: ClientApi;
  port: number;
  url: string;
  close(): Promise<void>;
}

/**
 * A real server with the ClientApi handlers, on `port` (0: a free one), so that a test can stop it
 * and start another on the same port, as a restarted process would be.
 */
export async function startClientServer(
  options: SocketApiModuleOptions = {},
  port = 0,
  metadata: ModuleMetadata = {},
): Promise<ClientTestServer> {
  const moduleRef = await Test.createTestingModule({
    imports: [SocketApiModule.forRoot({ concurrency: 16, ...options }), ...(metadata.imports ?? [])],
    providers: [ClientApi, ...(metadata.providers ?? [])],
  }).compile();
  const app = moduleRef.createNestApplication(httpAdapter('express'), { logger: false });
  await app.listen(port, '127.0.0.1');
  const address = (app.getHttpServer() as Server).address() as AddressInfo;
  return {
    app,
    api: app.get(ClientApi),
    port: address.port,
    url: `ws://127.0.0.1:${address.port}`,
    close: () => app.close(),
  };
}
