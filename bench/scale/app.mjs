// The scale benchmark's app: a `chat` channel and a `publish` action that publishes its data on it, and
// their twins with history (`chat_history`: size 1000, ttl 300 s; `publish_history` answers once stored).
// Plain JavaScript over the built package (dist/lib: `npx tsc -p tsconfig.build.json`), decorators
// applied by hand. Env: PORT (default 0: any free port), REDIS_URL (unset: in-memory broker),
// REDIS_PREFIX. Prints `READY <port>` once listening.
import 'reflect-metadata';
import { Injectable, Module } from '@nestjs/common';
import { NestFactory } from '@nestjs/core';
import { Data, SocketAction, SocketApiModule, SocketChannel } from '../../dist/lib/index.js';

class Chat {
  chat(message) {
    return message;
  }

  publish(message) {
    this.chat(message); // calling the channel method publishes its result
  }

  async chatHistory(message) {
    return message;
  }

  async publishHistory(message) {
    await this.chatHistory(message); // an async channel method resolves once its publication is stored
  }
}

const dataParam = (target, key) => Data()(target, key, 0);
for (const [method, decorator] of [
  ['chat', SocketChannel('chat')],
  ['publish', SocketAction('publish')],
  ['chatHistory', SocketChannel('chat_history', { history: { size: 1000, ttl: 300_000 } })],
  ['publishHistory', SocketAction('publish_history')],
]) {
  Reflect.decorate(
    [decorator, dataParam, Reflect.metadata('design:paramtypes', [Object])],
    Chat.prototype,
    method,
    Object.getOwnPropertyDescriptor(Chat.prototype, method),
  );
}
Reflect.decorate([Injectable()], Chat);

const redis = process.env.REDIS_URL || undefined;
class AppModule {}
Reflect.decorate(
  [
    Module({
      imports: [
        SocketApiModule.forRoot({
          redis: redis && { connection: redis, prefix: process.env.REDIS_PREFIX ?? 'bench' },
          heartbeat: false,
          maxBufferedBytes: 64 * 1024 * 1024,
          maxPendingMessages: 4096,
        }),
      ],
      providers: [Chat],
    }),
  ],
  AppModule,
);

const app = await NestFactory.create(AppModule, { logger: ['error', 'warn'] });
app.enableShutdownHooks();
await app.listen(Number(process.env.PORT ?? 0), '127.0.0.1');
console.log(`READY ${app.getHttpServer().address().port}`);
