import { Injectable } from '@nestjs/common';
import { Channel, Data, InjectChannel, SocketAction, SocketChannel } from '../../lib/index.js';
import { AddDto } from './add.dto.js';

/** The benchmark workload: a validated request/response action and a fan-out channel. */
@Injectable()
export class BenchService {
  constructor(@InjectChannel('chat') private readonly chatChannel: Channel<object>) {}

  @SocketAction('add')
  add(@Data() { a, b }: AddDto): number {
    return a + b;
  }

  @SocketChannel('chat')
  chat(): void {}

  /** Publishes its data verbatim to every `chat` subscriber. */
  @SocketAction('publish')
  publish(@Data() data: object): void {
    this.chatChannel.publish(data);
  }
}
