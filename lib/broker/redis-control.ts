import { Buffer } from 'node:buffer';
import type { ControlTransport } from '../interfaces/connection-control.interface.js';
import { controlNotConnected, controlTooLarge, controlUnheard } from '../logging/log.messages.js';
import { ControlUnavailableError } from '../protocol/errors.js';
import { isClusterClient, type RedisOrCluster } from './redis-connection.js';
import { OWN_MESSAGE, type RedisEnvelope } from './redis-envelope.js';
import type { RedisPubSub } from './redis-pubsub.js';

const EXCLAMATION_MARK = 0x21;

/** What the control transport uses of its broker. */
export interface RedisControlLink {
  readonly instanceId: string;
  /** The broker's pub/sub, plain or sharded: control goes the way the channels go. */
  readonly pubSub: RedisPubSub;
  /** The broker's `v1` envelope: control messages are signed (and checked) as publications are. */
  readonly envelope: RedisEnvelope;
  /** The connection that publishes; undefined before the broker connects. */
  publisher(): RedisOrCluster | undefined;
  /** A message on a control channel was refused (unsigned, bad signature, not an envelope). */
  rejected(redisChannel: Buffer, reason: string): void;
}

/**
 * The control messages between the app's instances (`SocketApiConnections`), through Redis pub/sub:
 * every instance listens on `${prefix}!control` (commands for all) and `${prefix}!control!<instanceId>`
 * (answers for it alone); on a Redis Cluster, with sharded pub/sub, `${prefix}!{control}` and
 * `${prefix}!{control!<instanceId>}` (see `RedisPubSub.brokerChannel`). The `!` keeps them apart from the
 * channels' `${prefix}:<channel>`, whatever a channel is named. Each message is a `v1` envelope (see `RedisEnvelope`): with a `secret`, signed
 * over the Redis channel too, and one without a valid signature is refused, so that no one who can
 * merely PUBLISH on Redis can close users' connections. Every PUBLISH (SPUBLISH) of control goes through
 * `send`, and the broker subscribes to `redisChannels`, both through the broker's `RedisPubSub`.
 */
export class RedisControl implements ControlTransport {
  readonly instanceId: string;
  /** Where commands for every instance go. */
  private readonly broadcastChannel: string;
  /** Where the answers for this instance go. */
  private readonly ownChannel: string;
  /** The byte of a Redis channel, right after the prefix, that tells a control channel (`!`) from a channel's (`:`). */
  private readonly markIndex: number;
  private receive?: (message: Buffer) => void;
  /** Whether this instance's SUBSCRIBE to the control channels is answered on the current connection (set by the broker). */
  listening = false;

  constructor(private readonly link: RedisControlLink) {
    this.instanceId = link.instanceId;
    this.broadcastChannel = link.pubSub.brokerChannel('control');
    this.ownChannel = this.channelOf(link.instanceId);
    this.markIndex = Buffer.byteLength(link.pubSub.prefix);
  }

  /** The Redis channels this instance SUBSCRIBEs to, on every (re)connection of its subscriber. */
  get redisChannels(): readonly string[] {
    return [this.broadcastChannel, this.ownChannel];
  }

  /** Whether a message arrived on a control channel rather than a channel's (one byte read). */
  carries(redisChannel: Buffer): boolean {
    return redisChannel[this.markIndex] === EXCLAMATION_MARK;
  }

  listen(receive: (message: Buffer) => void): void {
    this.receive = receive;
  }

  /** The instances that received it, this one not counted (it acts by itself). */
  async send(message: Buffer, to?: string): Promise<number> {
    const publisher = this.link.publisher();
    if (publisher?.status !== 'ready') throw new ControlUnavailableError(controlNotConnected);
    const redisChannel = to === undefined ? this.broadcastChannel : this.channelOf(to);
    const envelope = this.link.envelope;
    const encoded = envelope.encode(redisChannel, message);
    if (encoded.length > envelope.maxMessageBytes) {
      throw new ControlUnavailableError(controlTooLarge(encoded.length, envelope.maxMessageBytes));
    }
    let receivers: number;
    try {
      // SPUBLISH counts the subscribers on the master of the channel's slot: every instance subscribes there.
      receivers = await this.link.pubSub.publish(publisher, redisChannel, encoded);
    } catch (error) {
      throw new ControlUnavailableError(controlNotConnected, { cause: error });
    }
    if (to !== undefined || !this.listening) return receivers;
    if (receivers === 0) {
      // Not even this instance, which listens, heard it: it went where the channel's subscribers are not.
      // On a Redis Cluster, a node that lost the slot in a failover still takes an SPUBLISH (and tells no
      // one) until the client reads the slots again; that is asked now, and the caller told, not "0".
      if (isClusterClient(publisher)) publisher.refreshSlotsCache();
      throw new ControlUnavailableError(controlUnheard);
    }
    return receivers - 1;
  }

  /** A message on a control channel: checked by the envelope, then handed over (this instance's own are skipped). */
  received(redisChannel: Buffer, message: Buffer): void {
    const body = this.link.envelope.decode(redisChannel, message);
    if (body === OWN_MESSAGE) return;
    if (typeof body === 'string') return this.link.rejected(redisChannel, body);
    this.receive?.(body);
  }

  private channelOf(instanceId: string): string {
    return this.link.pubSub.brokerChannel(`control!${instanceId}`);
  }
}
