import 'reflect-metadata';
import { Module } from '@nestjs/common';
import { NestFactory } from '@nestjs/core';
import { SocketApiModule } from '../../lib/index.js';
import { BenchService } from './bench.service.js';

// BENCH_METRICS: the same app with Prometheus metrics on (server `socketapi-metrics` of bench/run.mjs).
@Module({
  imports: [SocketApiModule.forRoot({ metrics: process.env.BENCH_METRICS === '1' })],
  providers: [BenchService],
})
class BenchModule {}

const app = await NestFactory.create(BenchModule, { logger: ['error', 'warn'] });
app.enableShutdownHooks();
const port = Number(process.env.PORT ?? 3001);
const host = process.env.HOST ?? '127.0.0.1';
await app.listen(port, host);
console.log(`bench app listening on ws://${host}:${port}/`);
