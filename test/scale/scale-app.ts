import type { Server } from 'node:http';
import { Injectable, type DynamicModule, type INestApplication } from '@nestjs/common';
import { Test } from '@nestjs/testing';
import { Redis } from 'ioredis';
import {
  Data,
  SocketAction,
  SocketApiModule,
  SocketChannel,
  type RedisConnection,
  type SocketApiBroker,
  type SocketApiModuleOptions,
} from '../../lib/index.js';
import { SOCKET_API_BROKER } from '../../lib/socket-api.constants.js';
import { httpAdapter, type Platform } from '../support/platforms.js';
import { eventually, sleep } from '../support/wait.js';
import { TestClient } from '../support/ws-client.js';

// The scale suites' wait helpers, for suites that import them from here.
export { eventually, sleep };

/** Channels and actions of the scale-out suites; counts how often the channel methods run. */
@Injectable()
export class FeedService {
  readonly runs = { feed: 0, news: 0, explode: 0 };

  @SocketChannel('feed')
  feed(@Data() item: unknown): unknown {
    this.runs.feed++;
    return item;
  }

  @SocketChannel('news')
  news(@Data('title') title: string, @Data('priority') priority: number): unknown {
    this.runs.news++;
    return { title, priority };
  }

  @SocketChannel('explode')
  explode(@Data('boom') boom: boolean): unknown {
    this.runs.explode++;
    if (boom) throw new Error('kaboom');
    return { ok: true };
  }

  /** Publishes `{from, seq}` on `feed` (calling the channel method publishes). */
  @SocketAction('emit')
  emit(@Data('from') from: string, @Data('seq') seq: number): number {
    this.feed({ from, seq });
    return seq;
  }

  /** Publishes `count` items `{from, seq: start..start+count-1}` on `feed`, in order. */
  @SocketAction('emit_many')
  emitMany(@Data('from') from: string, @Data('start') start: number, @Data('count') count: number): number {
    for (let seq = start; seq < start + count; seq++) this.feed({ from, seq });
    return count;
  }
}

export interface Instance {
  name: string;
  app: INestApplication;
  /** ws://127.0.0.1:<port> */
  url: string;
  /** http://127.0.0.1:<port> */
  http: string;
  port: number;
  service: FeedService;
  broker: SocketApiBroker;
  close(): Promise<void>;
}

/** A Nest app (Express unless told otherwise, + the socket) with the feed service, listening on a free loopback port. */
export async function startInstance(
  name: string,
  module: DynamicModule,
  platform: Platform = 'express',
): Promise<Instance> {
  const moduleRef = await Test.createTestingModule({ imports: [module], providers: [FeedService] }).compile();
  const app = moduleRef.createNestApplication(httpAdapter(platform), { logger: false });
  try {
    await app.listen(0, '127.0.0.1');
  } catch (error) {
    await app.close().catch(() => undefined);
    throw error;
  }
  const address = (app.getHttpServer() as Server).address();
  if (address === null || typeof address === 'string') throw new Error('no TCP address');
  const { port } = address;
  return {
    name,
    app,
    url: `ws://127.0.0.1:${port}`,
    http: `http://127.0.0.1:${port}`,
    port,
    service: app.get(FeedService),
    broker: app.get(SOCKET_API_BROKER),
    close: () => app.close(),
  };
}

export function redisModule(connection: RedisConnection, prefix: string, extra: SocketApiModuleOptions = {}) {
  return SocketApiModule.forRoot({ redis: { connection, prefix }, heartbeat: false, ...extra });
}

/** A client subscribed to `channel` (the `subscribed` reply consumed). */
export async function subscriber(instance: Instance, channel = 'feed', data: unknown = {}): Promise<TestClient> {
  const client = await TestClient.open(instance.url);
  client.send({ type: 'subscribe', channel, data, id: 'sub' });
  const [reply] = await client.next();
  expect(reply).toEqual({ type: 'subscribed', channel, id: 'sub' });
  return client;
}

/** Redis connections subscribed to a Redis channel (`PUBSUB NUMSUB`). */
export async function numsub(admin: Redis, redisChannel: string): Promise<number> {
  const [, count] = (await admin.pubsub('NUMSUB', redisChannel)) as [string, number];
  return Number(count);
}

/** Waits until `count` instances are subscribed to the Redis channel of `channel`. */
export function redisSubscribers(admin: Redis, prefix: string, channel: string, count: number): Promise<number> {
  return eventually(
    () => numsub(admin, `${prefix}:${channel}`),
    (n) => n === count,
    { timeoutMs: 5000, what: `${count} Redis subscriber(s) on ${prefix}:${channel}` },
  );
}

/** Data frames of `channel` received so far by a client (taken off its queue). */
export function takeData(client: TestClient, channel = 'feed'): unknown[] {
  const frames = client.frames.splice(0);
  const data: unknown[] = [];
  for (const frame of frames) {
    const message = frame as { type?: string; channel?: string; data?: unknown };
    if (message.type === 'data' && message.channel === channel) data.push(message.data);
    else client.frames.push(frame); // replies stay for whoever waits on them
  }
  return data;
}

/** Waits until the client has `count` frames queued, then asserts no more come within `quietMs`. */
export async function exactly(
  client: TestClient,
  count: number,
  timeoutMs = 10_000,
  quietMs = 300,
): Promise<unknown[]> {
  await eventually(
    () => client.frames.length,
    (n) => n >= count,
    { timeoutMs, what: `${count} frames` },
  );
  await sleep(quietMs);
  const frames = client.frames.splice(0);
  expect(frames).toHaveLength(count);
  return frames;
}

/** An action over a socket, awaited. */
export async function act(client: TestClient, channel: string, data: unknown): Promise<unknown> {
  const id = `a${Math.random()}`;
  client.send({ type: 'action', channel, data, id });
  await eventually(() => client.frames.some((frame) => (frame as { id?: unknown }).id === id), Boolean, {
    timeoutMs: 10_000,
    what: `reply to ${channel}`,
  });
  const index = client.frames.findIndex((frame) => (frame as { id?: unknown }).id === id);
  return client.frames.splice(index, 1)[0];
}

/** POSTs JSON (or a raw string) to an instance; the status and parsed body. */
export async function post(
  url: string,
  body: unknown,
  headers: Record<string, string> = {},
): Promise<{ status: number; body: unknown }> {
  const response = await fetch(url, {
    method: 'POST',
    headers: { 'content-type': 'application/json', ...headers },
    body: typeof body === 'string' ? body : JSON.stringify(body),
  });
  const text = await response.text();
  let parsed: unknown = text;
  try {
    parsed = JSON.parse(text);
  } catch {
    // not JSON: the text itself
  }
  return { status: response.status, body: parsed };
}
