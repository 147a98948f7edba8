import { Injectable } from '@nestjs/common';
import { ErrorCode } from '../protocol/error-codes.js';
import type { ClientMessage } from '../protocol/messages.js';
import { withContext } from '../protocol/parse-client-message.js';
import { errorFrame } from '../protocol/server-messages.js';
import { ErrorMessage } from '../protocol/socket-api.messages.js';
import { SocketApiRegistry } from '../registry/socket-api.registry.js';
import type { WsConnection } from './ws-connection.js';

/**
 * Answers `presence` (who is subscribed to a channel): the members of a presence channel, to one
 * of its subscribers. No channel has presence yet: each known channel answers `PRESENCE_DISABLED`.
 */
@Injectable()
export class PresenceRequest {
  constructor(private readonly registry: SocketApiRegistry) {}

  /** A Promise only while the answer is still being read from the presence store. */
  answer(connection: WsConnection, message: ClientMessage): Promise<void> | undefined {
    const route = this.registry.resolveChannel(message.channel);
    const error = route
      ? { code: ErrorCode.PRESENCE_DISABLED, message: ErrorMessage.presenceDisabled(message.channel) }
      : { code: ErrorCode.CHANNEL_NOT_FOUND, message: ErrorMessage.channelNotFound(message.channel) };
    connection.sendFrame(errorFrame(withContext(error, message.channel, message.id)));
    return undefined;
  }
}
