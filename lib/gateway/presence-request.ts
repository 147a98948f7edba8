import { Injectable } from '@nestjs/common';
import { ChannelHub } from '../channels/channel-hub.js';
import { Subscriptions } from '../channels/subscriptions.js';
import { ErrorCode } from '../protocol/error-codes.js';
import type { ClientMessage } from '../protocol/messages.js';
import { withContext } from '../protocol/parse-client-message.js';
import { errorFrame, presenceReply } from '../protocol/server-messages.js';
import { ErrorMessage } from '../protocol/socket-api.messages.js';
import { SocketApiRegistry } from '../registry/socket-api.registry.js';
import type { WsConnection } from './ws-connection.js';

/**
 * Answers `presence` (who is subscribed to a channel): the members of a presence channel, on every
 * instance, to one of its subscribers (a member may see the others; nobody else may).
 */
@Injectable()
export class PresenceRequest {
  constructor(
    private readonly registry: SocketApiRegistry,
    private readonly hub: ChannelHub,
    private readonly subscriptions: Subscriptions,
  ) {}

  /** A Promise only while the answer is still being read from the presence store. */
  answer(connection: WsConnection, message: ClientMessage): Promise<void> | undefined {
    const name = message.channel;
    const route = this.registry.resolveChannel(name);
    if (!route)
      return this.reject(connection, message, ErrorCode.CHANNEL_NOT_FOUND, ErrorMessage.channelNotFound(name));
    if (!route.handler.options.presence) {
      return this.reject(connection, message, ErrorCode.PRESENCE_DISABLED, ErrorMessage.presenceDisabled(name));
    }
    const channel = this.hub.find(route.name);
    if (!channel?.presence || !this.subscriptions.of(connection).has(channel)) {
      return this.reject(connection, message, ErrorCode.NOT_SUBSCRIBED, ErrorMessage.notSubscribed(name));
    }
    return channel.presence.list().then(
      (members) => connection.sendFrame(presenceReply(route.name, members, message.id)),
      // The shared store cannot be reached (it reports its outages itself).
      () => this.reject(connection, message, ErrorCode.UNAVAILABLE, ErrorMessage.unavailable),
    );
  }

  private reject(connection: WsConnection, message: ClientMessage, code: ErrorCode, text: string): undefined {
    connection.sendFrame(errorFrame(withContext({ code, message: text }, message.channel, message.id)));
    return undefined;
  }
}
