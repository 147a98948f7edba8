import { Inject, Injectable } from '@nestjs/common';
import { ChannelHub } from '../channels/channel-hub.js';
import type { FanOutChannel, HistoryStream } from '../channels/fan-out-channel.js';
import { Subscriptions } from '../channels/subscriptions.js';
import type { SocketApiBroker } from '../interfaces/socket-api-broker.interface.js';
import { SOCKET_API_METRICS, type SocketApiMetrics } from '../metrics/socket-api-metrics.js';
import { RESOLVED_SOCKET_API_OPTIONS, type ResolvedSocketApiOptions } from '../options/resolved-options.js';
import { ErrorCode } from '../protocol/error-codes.js';
import type { ClientMessage } from '../protocol/messages.js';
import { withContext } from '../protocol/parse-client-message.js';
import { dataFrame, errorFrame, notRecoveredReply, subscribedReply } from '../protocol/server-messages.js';
import { ErrorMessage } from '../protocol/socket-api.messages.js';
import { toPlain } from '../protocol/to-plain.js';
import type { ResolvedChannel } from '../registry/socket-api.registry.js';
import { SOCKET_API_BROKER } from '../socket-api.constants.js';
import type { WsConnection } from './ws-connection.js';

/**
 * What a subscribe does once its channel method has admitted the client (SocketAPI's subscribe): the
 * client is added to the concrete channel, `subscribed` is sent, then the initial data if the channel
 * has it. Its own class, apart from the router's routing, because a channel with history completes
 * asynchronously (its position is read from the store) and a presence channel adds a member first.
 */
@Injectable()
export class SubscribeFlow {
  private readonly serialization: ResolvedSocketApiOptions['serialization'];
  private readonly maxSubscriptions: number;

  constructor(
    private readonly hub: ChannelHub,
    private readonly subscriptions: Subscriptions,
    @Inject(RESOLVED_SOCKET_API_OPTIONS) options: ResolvedSocketApiOptions,
    @Inject(SOCKET_API_BROKER) private readonly broker: SocketApiBroker,
    @Inject(SOCKET_API_METRICS) private readonly metrics: SocketApiMetrics | null,
  ) {
    this.serialization = options.serialization;
    this.maxSubscriptions = options.maxSubscriptions;
  }

  /** Whether `connection` may be in `route` too: it already is, or it is under `maxSubscriptions`. */
  maySubscribe(connection: WsConnection, route: ResolvedChannel): boolean {
    const channels = this.subscriptions.of(connection);
    const channel = this.hub.find(route.name);
    return (channel !== undefined && channels.has(channel)) || channels.size < this.maxSubscriptions;
  }

  /**
   * Completes the subscribe whose channel method returned `result` (the initial data). Throws what
   * serializing that result throws, before anything is sent; a Promise only while it still runs.
   */
  complete(
    connection: WsConnection,
    message: ClientMessage,
    route: ResolvedChannel,
    result: unknown,
  ): Promise<void> | undefined {
    // A client that left while the channel method ran must not be added back.
    if (!connection.isOpen) return undefined;
    if (!this.maySubscribe(connection, route)) return this.rejectTooManySubscriptions(connection, message);
    const { handler } = route;
    const initial = handler.initialData
      ? dataFrame(route.name, handler.toWire ? handler.toWire(result) : toPlain(result, this.serialization))
      : undefined;
    const channel = this.hub.acquire(handler.target.name, route);
    // The data is kept for the guards to see again after a renewal, and for the filter: only channels with either need it.
    const data = handler.admits || handler.options.filter ? message.data : undefined;
    if (channel.stream) return this.joinStream(connection, message, channel, channel.stream, data, initial);
    // A presence channel: the member is in the store (its join sent to the others) before `subscribed`.
    const { presence } = channel;
    if (presence) {
      return presence.join(connection, message.data).then(
        () => {
          if (!connection.isOpen) {
            // Gone while the store was written: its close took it out of its channels, but not out of this one.
            presence.leave(connection);
            return this.subscriptions.releaseIfUnused(channel);
          }
          // Its last member may have left meanwhile (the channel released): the live one of that name, then.
          this.subscribed(connection, message, route, this.hub.acquire(handler.target.name, route), data, initial);
        },
        (failure: unknown) => {
          this.subscriptions.releaseIfUnused(channel);
          throw failure;
        },
      );
    }
    this.subscribed(connection, message, route, channel, data, initial);
    return undefined;
  }

  private subscribed(
    connection: WsConnection,
    message: ClientMessage,
    route: ResolvedChannel,
    channel: FanOutChannel,
    data: unknown,
    initial: string | undefined,
  ): void {
    this.subscriptions.subscribe(connection, channel, data);
    // A channel without history has nothing to recover: the client is told so, and gets the initial data.
    if (message.recover) this.metrics?.recovery(false);
    const reply = message.recover ? notRecoveredReply(route.name, message.id) : subscribedReply(route.name, message.id);
    connection.sendFrame(reply);
    if (initial !== undefined) connection.sendFrame(initial);
  }

  /**
   * A history channel's subscribe: the client is a member at once (it buffers), the broker listens to
   * the channel before the store is read (so that nothing published after the read can be missed),
   * then the stream hands over `subscribed`, the replay or the initial data, and what was published
   * meanwhile, in the step that makes the client live. A store that cannot be read rejects
   * (`UNAVAILABLE` for the client), the client then being in nothing.
   */
  private async joinStream(
    connection: WsConnection,
    message: ClientMessage,
    channel: FanOutChannel,
    stream: HistoryStream,
    data: unknown,
    initial: string | undefined,
  ): Promise<void> {
    const { name } = channel;
    this.subscriptions.reserve(connection, channel, stream, data);
    // Left (closed, or unsubscribed) while Redis answered: nothing more is done for it.
    const left = () => !this.subscriptions.of(connection).has(channel);
    try {
      await this.broker.listening?.(name);
      if (left()) return;
      const { presence } = channel;
      if (presence) {
        await presence.join(connection, message.data);
        if (left()) return presence.leave(connection);
      }
      await stream.join(connection, message.recover, (join) => {
        const { top, recovered, frames } = join;
        if (recovered !== undefined) this.metrics?.recovery(recovered);
        this.subscriptions.subscribe(connection, channel, data);
        connection.sendFrame(subscribedReply(name, message.id, { top, recovered }));
        // Recovered, the client has the state it had; otherwise it starts over from the initial data.
        if (initial !== undefined && recovered !== true) connection.sendFrame(initial);
        const { filter } = channel;
        for (let i = 0; i < frames.length; i++) {
          // Replayed and buffered publications pass the channel's filter as live ones do (offsets may then skip).
          const text = join.data[i];
          if (filter && text !== undefined && !filter.admits(connection, text === '' ? undefined : JSON.parse(text))) {
            continue;
          }
          connection.sendFrame(frames[i]);
        }
      });
    } catch (failure) {
      this.subscriptions.unsubscribe(connection, channel);
      throw failure;
    }
  }

  rejectTooManySubscriptions(connection: WsConnection, message: ClientMessage): undefined {
    const error = { code: ErrorCode.TOO_MANY_SUBSCRIPTIONS, message: ErrorMessage.tooManySubscriptions };
    connection.sendFrame(errorFrame(withContext(error, message.channel, message.id)));
    return undefined;
  }
}
