import type { ClassTransformOptions } from 'class-transformer';
import type { ValidatorOptions } from 'class-validator';

export interface SocketApiValidationOptions {
  /** Passed to class-validator's `validate()` for every DTO. */
  validator?: ValidatorOptions;
  /** Passed to class-transformer's `plainToInstance()` when a DTO is built from `data`. */
  transformer?: ClassTransformOptions;
}

export interface SocketApiModuleOptions {
  /** URL path of the WebSocket on the app's HTTP server. Default `/`. */
  path?: string;
  /** Largest frame accepted, in bytes; a larger one closes the connection with 1009. Default 64 KiB. */
  maxPayload?: number;
  /**
   * Messages of one connection handled at the same time. Default 1: each reply is sent before the
   * next message is handled. Above 1, replies may come out of order and clients match them by `id`.
   */
  concurrency?: number;
  validation?: SocketApiValidationOptions;
  /** class-transformer options used when a reply or publication holds class instances. */
  serialization?: ClassTransformOptions;
}
