import { Injectable, Logger } from '@nestjs/common';
import type { SocketConnection } from './socket-connection.js';

type Hook = (...args: unknown[]) => unknown;

/** The app's `@OnSocketConnect()` / `@OnSocketDisconnect()` methods, bound to their instances. */
@Injectable()
export class ConnectionHooks {
  private readonly logger = new Logger('SocketApi');
  private readonly onConnect: Array<{ name: string; run: Hook }> = [];
  private readonly onDisconnect: Array<{ name: string; run: Hook }> = [];

  addConnectHook(name: string, run: Hook): void {
    this.onConnect.push({ name, run });
  }

  addDisconnectHook(name: string, run: Hook): void {
    this.onDisconnect.push({ name, run });
  }

  connected(connection: SocketConnection): void {
    for (const hook of this.onConnect) this.call(hook, [connection]);
  }

  disconnected(connection: SocketConnection, code: number, reason: string): void {
    for (const hook of this.onDisconnect) this.call(hook, [connection, code, reason]);
  }

  /** A hook's failure, thrown or rejected, is logged; the connection and the other hooks go on. */
  private call(hook: { name: string; run: Hook }, args: unknown[]): void {
    const fail = (exception: unknown) =>
      this.logger.error(`Connection hook ${hook.name} failed`, exception instanceof Error ? exception.stack : String(exception));
    try {
      const result = hook.run(...args);
      if (result instanceof Promise) result.catch(fail);
    } catch (exception) {
      fail(exception);
    }
  }
}
