import 'reflect-metadata';
import { Module } from '@nestjs/common';
import { NestFactory } from '@nestjs/core';
import { SocketApiModule } from '../../lib/index.js';
import { BenchService } from './bench.service.js';

@Module({ imports: [SocketApiModule.forRoot()], providers: [BenchService] })
class BenchModule {}

const app = await NestFactory.create(BenchModule, { logger: ['error', 'warn'] });
app.enableShutdownHooks();
const port = Number(process.env.PORT ?? 3001);
const host = process.env.HOST ?? '127.0.0.1';
await app.listen(port, host);
console.log(`bench app listening on ws://${host}:${port}/`);
