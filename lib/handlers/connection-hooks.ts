import { Inject, Injectable, Logger, type OnApplicationShutdown } from '@nestjs/common';
import type { SocketConnection } from '../connection/socket-connection.js';
import { ErrorLogLimiter } from '../logging/error-log-limiter.js';
import { RESOLVED_SOCKET_API_OPTIONS, type ResolvedSocketApiOptions } from '../options/resolved-options.js';

type Hook = (...args: unknown[]) => unknown;

/** The app's `@OnSocketConnect()` / `@OnSocketDisconnect()` methods, bound to their instances. */
@Injectable()
export class ConnectionHooks implements OnApplicationShutdown {
  private readonly errorLog: ErrorLogLimiter;
  private readonly onConnect: Array<{ name: string; run: Hook }> = [];
  private readonly onDisconnect: Array<{ name: string; run: Hook }> = [];

  constructor(@Inject(RESOLVED_SOCKET_API_OPTIONS) options: ResolvedSocketApiOptions) {
    // Every client that connects runs the hooks: a hook that fails each time must not flood the log.
    const errorLogIntervalMs = options.errorLogIntervalMs;
    this.errorLog = new ErrorLogLimiter(new Logger('SocketApi'), errorLogIntervalMs);
  }

  onApplicationShutdown(): void {
    this.errorLog.flush();
  }

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
    const fail = (exception: unknown) => this.errorLog.error(`Connection hook ${hook.name} failed`, exception);
    try {
      const result = hook.run(...args);
      if (result instanceof Promise) result.catch(fail);
    } catch (exception) {
      fail(exception);
    }
  }
}
