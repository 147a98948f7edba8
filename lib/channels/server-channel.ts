import { Logger } from '@nestjs/common';
import { describeException } from '../logging/describe-exception.js';
import { ErrorLogLimiter } from '../logging/error-log-limiter.js';
import { DEFAULTS } from '../options/defaults.js';
import { Channel } from './channel.js';

/**
 * What every channel of this library does as an RxJS `Observer`, on top of its `publish`: the
 * channel of a name (`FanOutChannel`) and a handle on a concrete channel of a pattern alike.
 */
export abstract class ServerChannel<T = unknown> extends Channel<T> {
  private static readonly logger = new Logger('SocketApiChannel');
  private static readonly errorLog = new ErrorLogLimiter(ServerChannel.logger, DEFAULTS.errorLogIntervalMs);

  next(payload: T): void {
    try {
      // A history channel's rejection is already handled and logged (see `storePublication`).
      void this.publish(payload);
    } catch (exception) {
      // Thrown, it would reach RxJS, which rethrows it outside any stack that could catch it and ends the process.
      ServerChannel.errorLog.error(`A value piped into channel '${this.name}' was not published`, exception);
    }
  }

  error(err: unknown): void {
    ServerChannel.logger.error(`Upstream error piped into channel '${this.name}'`, describeException(err));
  }

  complete(): void {
    // A channel outlives every stream piped into it.
  }
}
