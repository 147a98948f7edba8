import { Injectable } from '@nestjs/common';
import { IsInt, Max, Min } from 'class-validator';
import {
  Channel,
  Connection,
  Data,
  InjectChannel,
  OnSocketConnect,
  OnSocketDisconnect,
  SocketAction,
  SocketApiException,
  SocketChannel,
  type SocketConnection,
} from '../../../lib/index.js';
import { sleep } from '../../support/wait.js';

export class AddDto {
  @IsInt() @Min(0) @Max(1000) a!: number;
  @IsInt() @Min(0) @Max(1000) b!: number;
}

/**
 * The handlers the client tests call. It counts what the client's behaviour is judged by: the
 * connections open, every subscribe the server handled (a duplicate subscription shows there), and
 * every action run (a retried action would run twice).
 */
@Injectable()
export class ClientApi {
  readonly connections = new Set<SocketConnection>();
  readonly subscribeCalls: Array<{ channel: string; connection: string; data: unknown }> = [];
  readonly actionsRun = new Map<string, number>();

  constructor(@InjectChannel('news') readonly news: Channel<{ seq: number }>) {}

  @OnSocketConnect()
  connected(connection: SocketConnection): void {
    this.connections.add(connection);
  }

  @OnSocketDisconnect()
  disconnected(connection: SocketConnection): void {
    this.connections.delete(connection);
  }

  @SocketAction('echo')
  echo(@Data() data: unknown): unknown {
    return data;
  }

  /** Replies `n` after `ms`; counts each run by `key` (when given), to prove nothing runs twice. */
  @SocketAction('slow')
  async slow(@Data('n') n: number, @Data('ms') ms: number, @Data('key') key?: string): Promise<number> {
    if (key !== undefined) this.actionsRun.set(key, (this.actionsRun.get(key) ?? 0) + 1);
    await sleep(ms);
    return n;
  }

  @SocketAction('add')
  add(@Data() { a, b }: AddDto): number {
    return a + b;
  }

  @SocketAction('refuse')
  refuse(): never {
    throw new SocketApiException('Not today', 'TEAPOT');
  }

  /** Drops the caller's connection, as a server-side kick. */
  @SocketAction('kick')
  kick(@Connection() connection: SocketConnection): void {
    setTimeout(() => connection.close(1000), 0);
  }

  @SocketChannel('news', { initialData: true })
  newsChannel(@Data('since') since: number | undefined, @Connection() connection: SocketConnection): { seq: number } {
    this.subscribeCalls.push({ channel: 'news', connection: connection.id, data: { since } });
    return { seq: since ?? 0 };
  }

  /** Refuses the room 'closed'. */
  @SocketChannel('room', { initialData: true })
  room(@Data('name') name: string, @Connection() connection: SocketConnection): { welcome: string } {
    this.subscribeCalls.push({ channel: 'room', connection: connection.id, data: { name } });
    if (name === 'closed') throw new SocketApiException('This room is closed', 'ROOM_CLOSED');
    return { welcome: name };
  }

  /** Publishes to every subscriber of `news`. */
  @SocketAction('publish')
  publish(@Data('seq') seq: number): boolean {
    this.news.publish({ seq });
    return true;
  }
}

/** ClientApi's contract, written by hand until the generated one exists (issue 11's type generator). */
export interface ClientApiContract {
  actions: {
    echo: { data: unknown; reply: unknown };
    slow: { data: { n: number; ms: number; key?: string }; reply: number };
    add: { data: { a: number; b: number }; reply: number };
    refuse: { data: undefined; reply: never };
    kick: { data: undefined; reply: undefined };
    publish: { data: { seq: number }; reply: boolean };
  };
  channels: {
    news: { data: { since?: number } | undefined; payload: { seq: number } };
    room: { data: { name: string }; payload: { welcome: string } };
  };
}
