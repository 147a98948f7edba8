import { Injectable } from '@nestjs/common';
import { IsNotEmpty, IsString } from 'class-validator';
import { Data, SocketAction, SocketChannel } from 'nestjs-socketapi';

export class SendMessageDto {
  @IsString()
  @IsNotEmpty()
  message!: string;
}

@Injectable()
export class ChatService {
  // "add_numbers" action: request/response, like an HTTP endpoint
  @SocketAction('add_numbers')
  addNumbers(@Data('a') a: number, @Data('b') b: number): number {
    return a + b;
  }

  // "chat" channel: clients subscribe to it; calling this method publishes to them
  @SocketChannel('chat', { initialData: true })
  chat(@Data('message') message: string = 'Welcome') {
    return { message };
  }

  // Action that sends a message to every "chat" subscriber
  @SocketAction('send_message')
  sendMessage(@Data() { message }: SendMessageDto): void {
    this.chat(message);
  }
}
