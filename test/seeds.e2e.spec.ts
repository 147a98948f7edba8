import 'reflect-metadata';
import { Injectable } from '@nestjs/common';
import { Type } from 'class-transformer';
import { IsEmail, IsInt, IsNumber, IsString, ValidateNested } from 'class-validator';
import { Data, SocketAction, SocketApiModule, SocketChannel } from '../lib/index.js';
import { startApp, type TestApp } from './support/test-app.js';
import { TestClient } from './support/ws-client.js';

// SocketAPI's README, "Simple example", in Nest.
@Injectable()
class SimpleExample {
  @SocketAction('add_numbers')
  addNumbers(@Data('a') a: number, @Data('b') b: number): number {
    return a + b;
  }

  @SocketChannel('chat', { initialData: true })
  chatChannel(@Data('message') message: string = 'Welcome') {
    return { message };
  }

  @SocketAction('send_message')
  async sendMessage(@Data('message') message: string): Promise<void> {
    this.chatChannel(message);
  }
}

// SocketAPI's actions guide, in Nest: Pydantic models become class-validator DTOs.
class CalculateParams {
  @IsInt() a!: number;
  @IsInt() b!: number;
  @IsString() operation!: string;
}

class UserData {
  @IsString() username!: string;
  @IsEmail() email!: string;
  @IsInt() age!: number;
}

class Address {
  @IsString() street!: string;
  @IsString() city!: string;
  @IsString() zipcode!: string;
}

class UserProfile {
  @IsString() name!: string;
  @IsEmail() email!: string;
  @ValidateNested() @Type(() => Address) address!: Address;
}

class Product {
  constructor(
    readonly id: number,
    readonly name: string,
    readonly price: number,
  ) {}
}

class Message {
  @IsString() user!: string;
  @IsString() text!: string;
}

class HistoryParams {
  @IsNumber() limit: number = 10;
}

@Injectable()
class ActionsGuide {
  readonly logged: string[] = [];

  @SocketAction('greet')
  async greet(@Data('name') name: string) {
    return { message: `Hello, ${name}!` };
  }

  @SocketAction('ping')
  async ping() {
    return { status: 'ok' };
  }

  @SocketAction('log_event')
  async logEvent(@Data('event') event: string): Promise<void> {
    this.logged.push(event);
  }

  @SocketAction('calculate')
  async calculate(@Data() { a, b, operation }: CalculateParams) {
    const result = operation === 'add' ? a + b : operation === 'multiply' ? a * b : 0;
    return { result };
  }

  @SocketAction('create_user')
  async createUser(@Data('user') user: UserData) {
    return { id: 1, username: user.username, created: true };
  }

  @SocketAction('update_profile')
  async updateProfile(@Data('profile') profile: UserProfile) {
    return { success: true, name: profile.name };
  }

  @SocketAction('get_product')
  async getProduct(@Data('product_id') productId: number): Promise<Product> {
    return new Product(productId, 'Widget', 9.99);
  }

  @SocketChannel('chat')
  async chatChannel(@Data('message') message: string) {
    return { message };
  }

  @SocketAction('guide_send_message')
  async sendMessage(@Data('text') text: string, @Data('user') user: string) {
    await this.chatChannel(`${user}: ${text}`);
    return { sent: true };
  }

  @SocketChannel('chat_room')
  async chatRoom(@Data('message') message: Message) {
    return message;
  }

  @SocketAction('post_message')
  async postMessage(@Data('message') message: Message) {
    await this.chatRoom(message);
    return { id: 1, timestamp: 1701234567, sent: true };
  }

  @SocketAction('get_history')
  async getHistory(@Data() { limit }: HistoryParams) {
    return { messages: [], limit };
  }
}

async function session(
  t: TestApp,
  fn: (exchange: (message: unknown, replies?: number) => Promise<unknown[]>, client: TestClient) => Promise<void>,
) {
  const client = await TestClient.open(t.url);
  await fn(async (message, replies = 1) => {
    client.send(message);
    return client.next(replies);
  }, client);
  await client.close();
}

describe("SocketAPI's README, in Nest", () => {
  let t: TestApp;
  beforeAll(async () => {
    t = await startApp({ imports: [SocketApiModule.forRoot()], providers: [SimpleExample] });
  });
  afterAll(() => t.close());

  it('calling an action', () =>
    session(t, async (exchange) => {
      expect(await exchange({ type: 'action', channel: 'add_numbers', data: { a: 5, b: 3 } })).toEqual([
        { type: 'action', channel: 'add_numbers', status: 'completed', data: 8 },
      ]);
    }));

  it('subscribing to a channel, then broadcasting to it', () =>
    session(t, async (exchange) => {
      expect(await exchange({ type: 'subscribe', channel: 'chat' }, 2)).toEqual([
        { type: 'subscribed', channel: 'chat' },
        { type: 'data', channel: 'chat', data: { message: 'Welcome' } },
      ]);
      const [broadcast, confirmation] = await exchange(
        { type: 'action', channel: 'send_message', data: { message: 'Hello everyone!' } },
        2,
      );
      expect(confirmation).toEqual({ type: 'action', channel: 'send_message', status: 'completed' });
      expect(broadcast).toEqual({ type: 'data', channel: 'chat', data: { message: 'Hello everyone!' } });
    }));
});

describe("SocketAPI's actions guide, in Nest", () => {
  let t: TestApp;
  beforeAll(async () => {
    t = await startApp({ imports: [SocketApiModule.forRoot()], providers: [ActionsGuide] });
  });
  afterAll(() => t.close());

  it('basic action', () =>
    session(t, async (exchange) => {
      expect(await exchange({ type: 'action', channel: 'greet', data: { name: 'Alice' } })).toEqual([
        { type: 'action', channel: 'greet', status: 'completed', data: { message: 'Hello, Alice!' } },
      ]);
    }));

  it('action without parameters', () =>
    session(t, async (exchange) => {
      expect(await exchange({ type: 'action', channel: 'ping' })).toEqual([
        { type: 'action', channel: 'ping', status: 'completed', data: { status: 'ok' } },
      ]);
    }));

  it('action without return value: no data field', () =>
    session(t, async (exchange) => {
      const [reply] = await exchange({ type: 'action', channel: 'log_event', data: { event: 'user_login' } });
      expect(reply).toEqual({ type: 'action', channel: 'log_event', status: 'completed' });
      expect(reply).not.toHaveProperty('data');
      expect(t.app.get(ActionsGuide).logged).toContain('user_login');
    }));

  it('multiple parameters', () =>
    session(t, async (exchange) => {
      expect(await exchange({ type: 'action', channel: 'calculate', data: { a: 5, b: 3, operation: 'add' } })).toEqual([
        { type: 'action', channel: 'calculate', status: 'completed', data: { result: 8 } },
      ]);
    }));

  it.each([
    ['a missing parameter', { a: 5, b: 3 }, [{ path: 'operation', messages: ['operation must be a string'] }]],
    [
      'an incorrect type',
      { a: 'not_a_number', b: 3, operation: 'add' },
      [{ path: 'a', messages: ['a must be an integer number'] }],
    ],
  ])('data validation: %s', (_case, data, errors) =>
    session(t, async (exchange) => {
      const [reply] = await exchange({ type: 'action', channel: 'calculate', data });
      // SocketAPI's frame, with our additions (code, channel, errors).
      expect(reply).toMatchObject({ type: 'error', message: "Invalid parameters for action 'calculate'" });
      expect(reply).toEqual({
        type: 'error',
        code: 'VALIDATION_ERROR',
        message: "Invalid parameters for action 'calculate'",
        channel: 'calculate',
        errors,
      });
    }),
  );

  it('a model parameter', () =>
    session(t, async (exchange) => {
      const user = { username: 'alice', email: 'alice@example.com', age: 25 };
      expect(await exchange({ type: 'action', channel: 'create_user', data: { user } })).toEqual([
        {
          type: 'action',
          channel: 'create_user',
          status: 'completed',
          data: { id: 1, username: 'alice', created: true },
        },
      ]);
    }));

  it('nested models', () =>
    session(t, async (exchange) => {
      const profile = {
        name: 'Alice',
        email: 'alice@example.com',
        address: { street: '123 Main St', city: 'Springfield', zipcode: '12345' },
      };
      expect(await exchange({ type: 'action', channel: 'update_profile', data: { profile } })).toEqual([
        { type: 'action', channel: 'update_profile', status: 'completed', data: { success: true, name: 'Alice' } },
      ]);
    }));

  it('returning a model', () =>
    session(t, async (exchange) => {
      expect(await exchange({ type: 'action', channel: 'get_product', data: { product_id: 1 } })).toEqual([
        { type: 'action', channel: 'get_product', status: 'completed', data: { id: 1, name: 'Widget', price: 9.99 } },
      ]);
    }));

  it('combining actions with channels', async () => {
    const subscriber = await TestClient.open(t.url);
    subscriber.send({ type: 'subscribe', channel: 'chat' });
    expect(await subscriber.next()).toEqual([{ type: 'subscribed', channel: 'chat' }]);
    await session(t, async (exchange) => {
      expect(
        await exchange({
          type: 'action',
          channel: 'guide_send_message',
          data: { text: 'Hello everyone!', user: 'Alice' },
        }),
      ).toEqual([{ type: 'action', channel: 'guide_send_message', status: 'completed', data: { sent: true } }]);
    });
    expect(await subscriber.next()).toEqual([
      { type: 'data', channel: 'chat', data: { message: 'Alice: Hello everyone!' } },
    ]);
    await subscriber.close();
  });

  it('error handling: a non-existent action', () =>
    session(t, async (exchange) => {
      const [reply] = await exchange({ type: 'action', channel: 'nonexistent_action' });
      expect(reply).toMatchObject({ type: 'error', message: "Action 'nonexistent_action' not found." });
      expect(reply).toEqual({
        type: 'error',
        code: 'ACTION_NOT_FOUND',
        message: "Action 'nonexistent_action' not found.",
        channel: 'nonexistent_action',
      });
    }));

  it('the complete example: post, confirm, broadcast, history', async () => {
    const subscriber = await TestClient.open(t.url);
    // As in SocketAPI, subscribing runs the channel method with the subscribe's data: chat_room
    // requires a message, so a subscribe without one is refused, and one with a message accepted.
    subscriber.send({ type: 'subscribe', channel: 'chat_room' });
    expect(await subscriber.next()).toEqual([
      {
        type: 'error',
        code: 'VALIDATION_ERROR',
        message: "Invalid parameters for channel 'chat_room'",
        channel: 'chat_room',
        errors: [{ path: 'message', messages: ['message should not be null or undefined'] }],
      },
    ]);
    subscriber.send({ type: 'subscribe', channel: 'chat_room', data: { message: { user: 'Bob', text: 'joining' } } });
    expect(await subscriber.next()).toEqual([{ type: 'subscribed', channel: 'chat_room' }]);
    await session(t, async (exchange) => {
      expect(
        await exchange({
          type: 'action',
          channel: 'post_message',
          data: { message: { user: 'Alice', text: 'Hello!' } },
        }),
      ).toEqual([
        {
          type: 'action',
          channel: 'post_message',
          status: 'completed',
          data: { id: 1, timestamp: 1701234567, sent: true },
        },
      ]);
      expect(await exchange({ type: 'action', channel: 'get_history', data: { limit: 20 } })).toEqual([
        { type: 'action', channel: 'get_history', status: 'completed', data: { messages: [], limit: 20 } },
      ]);
      expect(await exchange({ type: 'action', channel: 'get_history' })).toEqual([
        { type: 'action', channel: 'get_history', status: 'completed', data: { messages: [], limit: 10 } },
      ]);
    });
    expect(await subscriber.next()).toEqual([
      { type: 'data', channel: 'chat_room', data: { user: 'Alice', text: 'Hello!' } },
    ]);
    await subscriber.close();
  });
});
