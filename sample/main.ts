import 'reflect-metadata';
import { Logger } from '@nestjs/common';
import { NestFactory } from '@nestjs/core';
import { FastifyAdapter } from '@nestjs/platform-fastify';
import { AppModule } from './app.module.js';

async function bootstrap(): Promise<void> {
  // Express by default; `HTTP_PLATFORM=fastify` serves the same app on Fastify.
  const app =
    process.env.HTTP_PLATFORM === 'fastify'
      ? await NestFactory.create(AppModule, new FastifyAdapter())
      : await NestFactory.create(AppModule);
  app.enableShutdownHooks();
  const port = Number(process.env.PORT ?? 3000);
  const host = process.env.HOST;
  if (host) await app.listen(port, host);
  else await app.listen(port);
  const shown = !host || host === '0.0.0.0' || host === '::' ? 'localhost' : host.includes(':') ? `[${host}]` : host;
  Logger.log(
    `Open http://${shown}:${port}/ (WebSocket at ws://${shown}:${port}/, add ?role=admin for admin_stats)`,
    'Sample',
  );
}

void bootstrap();
