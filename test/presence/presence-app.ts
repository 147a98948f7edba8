import type { Server } from 'node:http';
import { Injectable, type INestApplication } from '@nestjs/common';
import { Test } from '@nestjs/testing';
import { SocketApiModule, SocketChannel, type SocketConnection } from '../../lib/index.js';
import { RedisBroker } from '../../lib/broker/redis.broker.js';
import { httpAdapter } from '../support/platforms.js';

/** The presence channels of the two-instance suites: `room` announces joins and leaves, with the client's name. */
@Injectable()
export class PresenceRooms {
  @SocketChannel('room', {
    presence: {
      joinLeave: true,
      info: (connection: SocketConnection) => ({ name: connection.query.name ?? null }),
    },
  })
  room() {}

  /** A pattern with presence (and no history): its concrete channels live only while they have members. */
  @SocketChannel('rooms/:roomId', { presence: { joinLeave: true } })
  rooms() {}
}

export interface PresenceInstance {
  app: INestApplication;
  broker: RedisBroker;
  url: string;
  port: number;
  close(): Promise<void>;
}

export interface PresenceInstanceOptions {
  redisUrl: string;
  prefix: string;
  ttlMs?: number;
  intervalMs?: number;
}

/** An instance of the app on Redis, on a free loopback port. */
export async function startPresenceInstance(options: PresenceInstanceOptions): Promise<PresenceInstance> {
  const broker = new RedisBroker({
    connection: options.redisUrl,
    prefix: options.prefix,
    presenceTtlMs: options.ttlMs,
    presenceIntervalMs: options.intervalMs,
    logger: { log: () => undefined, warn: () => undefined, error: () => undefined },
  });
  const moduleRef = await Test.createTestingModule({
    imports: [SocketApiModule.forRoot({ broker, heartbeat: false })],
    providers: [PresenceRooms],
  }).compile();
  const app = moduleRef.createNestApplication(httpAdapter('express'), { logger: false });
  await app.listen(0, '127.0.0.1');
  const address = (app.getHttpServer() as Server).address();
  if (address === null || typeof address === 'string') throw new Error('no TCP address');
  return { app, broker, url: `ws://127.0.0.1:${address.port}`, port: address.port, close: () => app.close() };
}
