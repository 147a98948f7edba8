import type { AbstractHttpAdapter } from '@nestjs/core';
import { ExpressAdapter } from '@nestjs/platform-express';
import { FastifyAdapter } from '@nestjs/platform-fastify';

/** Nest's two HTTP platforms, the ones users put under the socket. */
export type Platform = 'express' | 'fastify';

/** For `describe.each(PLATFORMS)('… on %s', (platform) => …)`: suites that must hold on both. */
export const PLATFORMS: Platform[] = ['express', 'fastify'];

/** A fresh HTTP adapter of the platform, as `NestFactory.create(AppModule, adapter)` takes it. */
export function httpAdapter(platform: Platform): AbstractHttpAdapter {
  return platform === 'fastify' ? new FastifyAdapter() : new ExpressAdapter();
}
