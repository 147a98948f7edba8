import type { SocketApiBroker } from '../interfaces/socket-api-broker.interface.js';

/** The default broker, for one process: publications never leave it, so there is nothing to carry. */
export class InMemoryBroker implements SocketApiBroker {
  async connect(): Promise<void> {}
  publish(): void {}
  watch(): void {}
  unwatch(): void {}
  async close(): Promise<void> {}
}
