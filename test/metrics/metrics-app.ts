import { performance } from 'node:perf_hooks';
import { BadRequestException, Injectable, type ModuleMetadata } from '@nestjs/common';
import {
  Data,
  InjectChannel,
  SocketAction,
  SocketApiModule,
  SocketChannel,
  type ChannelFamily,
  type HistoryChannel,
  type SocketApiModuleOptions,
} from '../../lib/index.js';

/** Handlers that make every kind of traffic the metrics count. */
@Injectable()
export class MetricsHandlers {
  constructor(
    @InjectChannel('rooms/:roomId') private readonly rooms: ChannelFamily<{ text: string }, { roomId: string }>,
    @InjectChannel('ticks') private readonly ticks: HistoryChannel<{ n: number }>,
  ) {}

  @SocketAction('echo')
  echo(@Data() data: unknown): unknown {
    return data;
  }

  @SocketAction('fail')
  fail(): never {
    throw new BadRequestException('refused on purpose');
  }

  @SocketAction('failLater')
  async failLater(): Promise<never> {
    await new Promise((resolve) => setTimeout(resolve, 5));
    throw new BadRequestException('refused later');
  }

  /** Keeps the event loop busy for `ms`, as a handler doing heavy synchronous work. */
  @SocketAction('spin')
  spin(@Data('ms') ms: number): boolean {
    busyWait(ms);
    return true;
  }

  /** Keeps the event loop busy for `busy` ms, then answers at once, or after `ms` more when it is given: a handler that awaits only sometimes. */
  @SocketAction('wait')
  wait(@Data('ms') ms: number | undefined, @Data('busy') busy: number | undefined): boolean | Promise<boolean> {
    if (busy) busyWait(busy);
    if (!ms) return true;
    return new Promise((resolve) => setTimeout(() => resolve(true), ms));
  }

  @SocketAction('noop')
  noop(): boolean {
    return true;
  }

  @SocketAction('say')
  say(@Data('room') room: string, @Data('text') text: string): boolean {
    this.rooms.to({ roomId: room }).publish({ text });
    return true;
  }

  @SocketAction('tick')
  tick(@Data('n') n: number): Promise<unknown> {
    return this.ticks.publish({ n });
  }

  @SocketChannel('rooms/:roomId')
  room(): void {}

  @SocketChannel('news')
  news(): void {}

  /** A subscribe that keeps the event loop busy for 30 ms. */
  @SocketChannel('slow')
  slow(): void {
    busyWait(30);
  }

  @SocketChannel('ticks', { history: { size: 10, ttl: 60_000 } })
  subscribeTicks(): void {}
}

function busyWait(ms: number): void {
  const until = performance.now() + ms;
  while (performance.now() < until);
}

export function metricsApp(options: SocketApiModuleOptions): ModuleMetadata {
  return { imports: [SocketApiModule.forRoot({ path: '/', ...options })], providers: [MetricsHandlers] };
}
