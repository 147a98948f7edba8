import { Injectable, UseGuards } from '@nestjs/common';
import {
  Channel,
  Connection,
  Data,
  InjectChannel,
  SocketAction,
  SocketChannel,
  SocketConnection,
} from '../../lib/index.js';
import { AdminGuard } from '../auth/admin.guard.js';
import { UsersService } from '../users/users.service.js';
import { CreateUserDto } from './dto/create-user.dto.js';
import { SendMessageDto } from './dto/send-message.dto.js';

export interface ChatMessage {
  message: string;
}

@Injectable()
export class ChatService {
  private messagesSent = 0;

  constructor(
    private readonly users: UsersService,
    @InjectChannel('chat') private readonly chatChannel: Channel<ChatMessage>,
  ) {}

  /** `{"type":"action","channel":"add_numbers","data":{"a":5,"b":3}}` → `data: 8` */
  @SocketAction('add_numbers', {
    summary: 'Adds two numbers',
    tags: ['math'],
    reply: Number,
    examples: [{ summary: '5 + 3', data: { a: 5, b: 3 }, reply: 8 }],
  })
  add(@Data('a') a: number, @Data('b') b: number): number {
    return a + b;
  }

  /**
   * `{"type":"subscribe","channel":"chat"}` → `subscribed`, then `{"message":"Welcome"}` as initial data.
   * Calling `this.chat(text)` from server code publishes `{ message: text }` to every subscriber.
   */
  @SocketChannel('chat', { initialData: true, summary: 'Chat messages, from send_message', tags: ['chat'] })
  chat(@Data('message') message: string = 'Welcome'): ChatMessage {
    return { message };
  }

  /** Broadcasts to the `chat` channel, then answers the caller. */
  @SocketAction('send_message', {
    summary: 'Publishes a message on the chat channel',
    tags: ['chat'],
    examples: [{ data: { message: 'Hello, everyone' } }],
  })
  send(@Data() body: SendMessageDto, @Connection() conn: SocketConnection) {
    this.chat(body.message);
    this.messagesSent++;
    return { sent: true, by: conn.id };
  }

  /** `data: {"user": {..., "address": {...}}}`, validated down to `user.address.zipcode`. */
  @SocketAction('create_user', {
    summary: 'Creates a user (validated down to the zipcode)',
    tags: ['users'],
    examples: [
      {
        data: {
          user: {
            username: 'ada',
            email: 'ada@example.com',
            age: 36,
            address: { street: '12 St James Square', city: 'London', zipcode: 'SW1Y4' },
          },
        },
      },
    ],
  })
  createUser(@Data('user') user: CreateUserDto) {
    const { id, username } = this.users.create(user);
    return { id, username, created: true };
  }

  /** Only on connections opened with `?role=admin`; others get a `FORBIDDEN` error. */
  @UseGuards(AdminGuard)
  @SocketAction('admin_stats', { summary: 'Counters; admins only (connect with ?role=admin)', tags: ['admin'] })
  stats() {
    return {
      users: this.users.count(),
      messagesSent: this.messagesSent,
      chatSubscribers: this.chatChannel.subscriberCount,
    };
  }
}
