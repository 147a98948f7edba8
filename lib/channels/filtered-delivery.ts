import { Logger } from '@nestjs/common';
import { SocketConnection } from '../connection/socket-connection.js';
import type { ChannelRoute } from '../interfaces/channel-stream.interface.js';
import type { ChannelFilter, ChannelFilterContext } from '../interfaces/socket-channel-options.interface.js';
import { ErrorLogLimiter } from '../logging/error-log-limiter.js';
import { channelFilterFailed } from '../logging/log.messages.js';
import { DEFAULTS } from '../options/defaults.js';

/**
 * A channel's `filter` with what it knows of each subscriber (its connection, the `data` it subscribed
 * with, the concrete channel): asked once per publication and subscriber, on the publication's plain
 * JSON payload, after the frame was serialized once for everyone. Subscribers are keyed as objects:
 * `ChannelSubscriber` is declared next to `FanOutChannel`, which holds this (importing it would be a cycle).
 */
export class FilteredDelivery {
  private static readonly errorLog = new ErrorLogLimiter(new Logger('SocketApiChannel'), DEFAULTS.errorLogIntervalMs);
  private readonly contexts = new Map<object, ChannelFilterContext>();

  constructor(
    private readonly filter: ChannelFilter,
    private readonly route: ChannelRoute,
  ) {}

  /** Keeps (or replaces) what the filter will see of `subscriber`. */
  add(subscriber: object, data: unknown): void {
    // Every subscriber is a connection; the channel layer only knows it by its narrower interface.
    if (!(subscriber instanceof SocketConnection))
      throw new TypeError('A filtered channel needs connections as subscribers.');
    const { name, params } = this.route;
    this.contexts.set(subscriber, { connection: subscriber, data, params, channel: name });
  }

  remove(subscriber: object): void {
    this.contexts.delete(subscriber);
  }

  /** Whether `payload` goes to `subscriber`; a filter that throws says no (and is logged, rate-limited). */
  admits(subscriber: object, payload: unknown): boolean {
    const context = this.contexts.get(subscriber);
    if (context === undefined) return false;
    try {
      return this.filter(payload, context);
    } catch (exception) {
      FilteredDelivery.errorLog.error(channelFilterFailed(this.route.name), exception);
      return false;
    }
  }
}
