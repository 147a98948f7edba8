import 'reflect-metadata';
import { Injectable } from '@nestjs/common';
import {
  HistoryChannelFamily,
  ChannelParam,
  Data,
  InjectChannel,
  SocketAction,
  SocketApiModule,
  SocketChannel,
  type SocketConnection,
  type RedisClusterConnection,
  type StreamPosition,
} from '../../lib/index.js';
import { startApp, type TestApp } from '../support/test-app.js';

/** The history window of `rooms/:roomId`: small, so that a client away for a while falls outside it. */
export const ROOM_HISTORY_SIZE = 50;

export interface RoomMessage {
  /** Who published it (`A-17`): a publication is recognised by it wherever it is delivered. */
  tag: string;
}

/**
 * The rooms of issue 12's proof suites: a pattern channel with history and presence (joins and leaves,
 * with the client's `name` from the query), initial data for a client that starts over, and an action
 * that publishes to any room through the family (stored whether the room is live here or not).
 */
@Injectable()
export class Rooms {
  constructor(@InjectChannel('rooms/:roomId') readonly rooms: HistoryChannelFamily<RoomMessage, { roomId: string }>) {}

  @SocketChannel('rooms/:roomId', {
    history: { size: ROOM_HISTORY_SIZE, ttl: 60_000 },
    presence: { joinLeave: true, info: (connection: SocketConnection) => ({ name: connection.query.name ?? null }) },
    initialData: true,
  })
  room(@ChannelParam('roomId') roomId: string) {
    return { initial: roomId };
  }

  /** Publishes to a room; resolves with the publication's position once Redis stored it. */
  publish(roomId: string, message: RoomMessage): Promise<StreamPosition> {
    // A handle of a history pattern is a HistoryChannel at runtime: its publish resolves once stored.
    return this.rooms.to({ roomId }).publish(message);
  }

  @SocketAction('send')
  send(@Data('roomId') roomId: string, @Data('tag') tag: string): Promise<StreamPosition> {
    return this.publish(roomId, { tag });
  }
}

export interface RoomsInstanceOptions {
  /** Where Redis is: a URL, or a Redis Cluster's nodes. */
  redisUrl: string | RedisClusterConnection;
  prefix: string;
  presenceTtlMs?: number;
  presenceIntervalMs?: number;
  /** `redis.commandTimeoutMs`. */
  commandTimeoutMs?: number;
  /** Serves the HTTP bridge (`broadcast: {}`). */
  broadcast?: boolean;
  port?: number;
}

/** An instance of the rooms app on Redis, on a loopback port (a free one unless `port` is given). */
export function startRoomsInstance(options: RoomsInstanceOptions): Promise<TestApp> {
  return startApp(
    {
      imports: [
        SocketApiModule.forRoot({
          heartbeat: false,
          broadcast: options.broadcast ? {} : undefined,
          redis: {
            connection: options.redisUrl,
            prefix: options.prefix,
            presenceTtlMs: options.presenceTtlMs,
            presenceIntervalMs: options.presenceIntervalMs,
            commandTimeoutMs: options.commandTimeoutMs,
          },
        }),
      ],
      providers: [Rooms],
    },
    undefined,
    'express',
    options.port,
  );
}
