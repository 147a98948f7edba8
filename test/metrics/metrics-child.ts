import 'reflect-metadata';
import { createRequire } from 'node:module';
import { NestFactory } from '@nestjs/core';
import { Module } from '@nestjs/common';
import { metricsApp } from './metrics-app.js';

/**
 * An app with metrics on or off (`METRICS`), in a process of its own: prints whether prom-client was
 * loaded once it started and a client's traffic went through, then exits.
 */
@Module(metricsApp({ metrics: process.env.METRICS === 'on' }))
class ChildModule {}

const app = await NestFactory.create(ChildModule, { logger: false });
await app.listen(0, '127.0.0.1');
const loaded = Object.keys(createRequire(import.meta.url).cache).some((file) => /[\\/]prom-client[\\/]/.test(file));
process.stdout.write(`PROM_CLIENT_LOADED ${loaded}\n`);
await app.close();
