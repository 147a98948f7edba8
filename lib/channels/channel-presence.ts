import { Buffer } from 'node:buffer';
import { Logger } from '@nestjs/common';
import type { ClassTransformOptions } from 'class-transformer';
import type { SocketConnection } from '../connection/socket-connection.js';
import type { ChannelRoute, PresenceMember, PresenceStore } from '../interfaces/channel-stream.interface.js';
import type { ChannelPresenceOptions } from '../interfaces/socket-channel-options.interface.js';
import { ErrorLogLimiter } from '../logging/error-log-limiter.js';
import { presenceInfoTooLarge, presenceLeaveFailed } from '../logging/log.messages.js';
import { DEFAULTS } from '../options/defaults.js';
import { toPlain } from '../protocol/to-plain.js';

/** A member's `info`, serialized, past which its subscribe fails: it goes to every subscriber and into the store. */
export const MAX_PRESENCE_INFO_BYTES = 4096;

/**
 * The presence of one live concrete channel: what a subscriber exposes of itself (`info`), whether
 * joins and leaves are announced (`joinLeave`), and the calls to the presence store (in memory, or
 * shared by the instances) under the concrete name.
 */
export class ChannelPresence {
  private static readonly logger = new Logger('SocketApiPresence');
  private static readonly errorLog = new ErrorLogLimiter(ChannelPresence.logger, DEFAULTS.errorLogIntervalMs);
  /** Whether the other subscribers get `join` and `leave` frames. */
  readonly announces: boolean;
  private readonly info?: ChannelPresenceOptions['info'];

  constructor(
    private readonly route: ChannelRoute,
    options: true | ChannelPresenceOptions,
    private readonly store: PresenceStore,
    private readonly serialization?: ClassTransformOptions,
  ) {
    this.announces = options !== true && options.joinLeave === true;
    this.info = options === true ? undefined : options.info;
  }

  /**
   * Makes `connection` (subscribing with `data`) a member. Throws, before the store is written, when
   * its `info` cannot be serialized or is too large; the store's own failures are its business.
   */
  join(connection: SocketConnection, data: unknown): Promise<void> {
    return this.store.join(this.route.name, this.member(connection, data), this.announces);
  }

  /** `subscriber` is no longer in the channel (unsubscribed, gone, or dropped by a renewal). */
  leave(subscriber: { readonly id: string }): void {
    this.store.leave(this.route.name, subscriber.id, this.announces).catch((error: unknown) => {
      ChannelPresence.errorLog.error(presenceLeaveFailed(this.route.name), error);
    });
  }

  /** The members, on every instance. Rejects when the shared store cannot be reached. */
  list(): Promise<PresenceMember[]> {
    return this.store.list(this.route.name);
  }

  private member(connection: SocketConnection, data: unknown): PresenceMember {
    const clientId = connection.id;
    if (!this.info) return { clientId };
    const info = toPlain(this.info(connection, this.route.params, data), this.serialization);
    if (info === undefined) return { clientId };
    const bytes = Buffer.byteLength(JSON.stringify(info) ?? '');
    if (bytes > MAX_PRESENCE_INFO_BYTES) {
      throw new Error(presenceInfoTooLarge(this.route.name, bytes, MAX_PRESENCE_INFO_BYTES));
    }
    return { clientId, info };
  }
}
