import 'reflect-metadata';
import { Module } from '@nestjs/common';
import { NestFactory } from '@nestjs/core';
import { WsAdapter } from '@nestjs/platform-ws';
import { BenchGateway } from './bench.gateway.js';

@Module({ providers: [BenchGateway] })
class NestGatewayBenchModule {}

const app = await NestFactory.create(NestGatewayBenchModule, { logger: ['error', 'warn'] });
app.useWebSocketAdapter(new WsAdapter(app));
app.enableShutdownHooks();
const port = Number(process.env.PORT ?? 3004);
const host = process.env.HOST ?? '127.0.0.1';
await app.listen(port, host);
console.log(`nest-gateway listening on ws://${host}:${port}/`);
