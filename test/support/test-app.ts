import type { Server } from 'node:http';
import type { INestApplication, ModuleMetadata } from '@nestjs/common';
import { Test } from '@nestjs/testing';
import { httpAdapter, type Platform } from './platforms.js';

export interface TestApp {
  app: INestApplication;
  server: Server;
  /** ws://127.0.0.1:<port> */
  url: string;
  close(): Promise<void>;
}

/**
 * Starts a real Nest app (Express unless told otherwise, + the socket) on a loopback port: a free one,
 * or `port`, so that a test can stop an app and start another where its clients will reconnect.
 */
export async function startApp(
  metadata: ModuleMetadata,
  configure?: (app: INestApplication) => void | Promise<void>,
  platform: Platform = 'express',
  port = 0,
): Promise<TestApp> {
  const moduleRef = await Test.createTestingModule(metadata).compile();
  const app = moduleRef.createNestApplication(httpAdapter(platform), { logger: false });
  await configure?.(app);
  await app.listen(port, '127.0.0.1');
  const server = app.getHttpServer() as Server;
  const address = server.address();
  if (address === null || typeof address === 'string') throw new Error('no TCP address');
  return { app, server, url: `ws://127.0.0.1:${address.port}`, close: () => app.close() };
}
