import { Injectable } from '@nestjs/common';
import { Channel, Data, HistoryChannel, InjectChannel, SocketAction, SocketChannel } from '../../lib/index.js';
import { AddDto } from './add.dto.js';

/**
 * The benchmark workload: a validated request/response action, a fan-out channel, and its twin with
 * history (issue 12: what history costs per delivery, measured against the plain channel in one run).
 */
@Injectable()
export class BenchService {
  constructor(
    @InjectChannel('chat') private readonly chatChannel: Channel<object>,
    @InjectChannel('hist') private readonly histChannel: HistoryChannel<object>,
  ) {}

  @SocketAction('add')
  add(@Data() { a, b }: AddDto): number {
    return a + b;
  }

  @SocketChannel('chat')
  chat(): void {}

  /** `chat` with history; a name as long as `chat`'s, so that frames differ only by their `offset`. */
  @SocketChannel('hist', { history: { size: 1000, ttl: 300_000 } })
  hist(): void {}

  /** Publishes its data verbatim to every `chat` subscriber. */
  @SocketAction('publish')
  publish(@Data() data: object): void {
    this.chatChannel.publish(data);
  }

  /** Publishes its data verbatim on `hist`, and answers once it is stored (with its offset). */
  @SocketAction('publish_history')
  async publishHistory(@Data() data: object): Promise<void> {
    await this.histChannel.publish(data);
  }
}
