import { Buffer } from 'node:buffer';
import { randomBytes } from 'node:crypto';
import { Inject, Injectable, Logger, type OnApplicationBootstrap } from '@nestjs/common';
import { ChannelHub } from '../channels/channel-hub.js';
import { readRemoteFrame } from '../channels/remote-frame.js';
import { Subscriptions } from '../channels/subscriptions.js';
import type { ControlTransport, UserConnectionInfo } from '../interfaces/connection-control.interface.js';
import type { SocketApiBroker } from '../interfaces/socket-api-broker.interface.js';
import {
  controlInvalidArgument,
  controlNoAnswer,
  controlRefusedMessage,
  controlSendToHistoryChannel,
  controlUnknownChannel,
} from '../logging/log.messages.js';
import { ThrottledWarning } from '../logging/throttled-warning.js';
import { RESOLVED_SOCKET_API_OPTIONS, type ResolvedSocketApiOptions } from '../options/resolved-options.js';
import { CloseCode } from '../protocol/close-codes.js';
import { ControlUnavailableError } from '../protocol/errors.js';
import { dataFrame, unsubscribedReply } from '../protocol/server-messages.js';
import { CloseReason } from '../protocol/socket-api.messages.js';
import { toPlain } from '../protocol/to-plain.js';
import { SocketApiRegistry } from '../registry/socket-api.registry.js';
import { SOCKET_API_BROKER } from '../socket-api.constants.js';
import {
  decodeControl,
  encodeControl,
  isCloseCode,
  MAX_CONTROL_TEXT,
  type ControlAnswer,
  type ControlCommand,
  type Envelope,
} from './control-messages.js';
import { UserConnections } from './user-connections.js';

/** What `listUser` says of the instance without a broker that carries control. */
const LOCAL_INSTANCE = 'local';
/**
 * Commands older than this (by the sender's clock) are refused, and the ids of those younger are
 * remembered that long: a signed command replayed on the broker acts at most once. The clocks of the
 * instances must agree within it.
 */
const MAX_COMMAND_AGE_MS = 30_000;
/**
 * Command ids remembered at most (the oldest are forgotten first): memory stays bounded even when
 * commands flood in (possible only without a secret, when anyone may publish them anyway).
 */
const MAX_SEEN_COMMANDS = 100_000;
/** Longest `reason` of a close frame (125 bytes less the code's 2). */
const MAX_REASON_BYTES = 123;

/** A command sent, waiting for the other instances' answers. */
interface PendingRequest {
  readonly answers: ControlAnswer[];
  /** How many instances received the command: known once the broker says. */
  expected?: number;
  readonly settle: (error?: Error) => void;
}

/**
 * Acts on a user's connections wherever they are (see docs/control.md): the user is the identity's
 * `subject` (the JWT `sub`, the `subject` an authenticator gives). Each call acts on this instance's
 * connections at once, then, with a broker that carries control (Redis), sends the command to every
 * other instance and resolves once they all answered (within `controlTimeoutMs`): when the Promise
 * resolves, every instance has acted. It rejects with `ControlUnavailableError` when the broker is
 * down or an instance did not answer in time (what this instance's connections needed is done).
 */
@Injectable()
export class SocketApiConnections implements OnApplicationBootstrap {
  private readonly logger = new Logger('SocketApiConnections');
  private readonly transport?: ControlTransport;
  private readonly pending = new Map<string, PendingRequest>();
  /** Ids of the commands received in the last `MAX_COMMAND_AGE_MS`, oldest first, with when they arrived. */
  private readonly seen = new Map<string, number>();
  private readonly refused: ThrottledWarning;

  constructor(
    @Inject(RESOLVED_SOCKET_API_OPTIONS) private readonly options: ResolvedSocketApiOptions,
    @Inject(SOCKET_API_BROKER) broker: SocketApiBroker,
    private readonly users: UserConnections,
    private readonly hub: ChannelHub,
    private readonly subscriptions: Subscriptions,
    private readonly registry: SocketApiRegistry,
  ) {
    this.transport = broker.control;
    this.refused = new ThrottledWarning(this.logger, options.errorLogIntervalMs);
  }

  onApplicationBootstrap(): void {
    this.transport?.listen((message) => this.received(message));
  }

  /**
   * Closes every connection of `userId` with `code` and `reason`. The default (1008, `Closed by the
   * server`) tells the library's client not to reconnect. Resolves with how many were closed.
   * @param code 1000, 1001, 1008, 1011, 1013 or 3000–4999
   * @param reason at most 123 bytes
   */
  async closeUser(
    userId: string,
    code: number = CloseCode.POLICY_VIOLATION,
    reason: string = CloseReason.closedByServer,
  ): Promise<number> {
    checkUserId(userId);
    if (!isCloseCode(code))
      throw new TypeError(controlInvalidArgument('code', 'a close code: 1000, 1001, 1008, 1011, 1013 or 3000–4999'));
    if (typeof reason !== 'string' || Buffer.byteLength(reason) > MAX_REASON_BYTES) {
      throw new TypeError(controlInvalidArgument('reason', `a string of at most ${MAX_REASON_BYTES} bytes`));
    }
    return this.everywhere({ op: 'close', user: userId, code, reason });
  }

  /**
   * Takes every connection of `userId` out of the concrete channel `channel`; each gets
   * `{"type":"unsubscribed","channel":…}` (no `id`), as when a renewal drops a subscription. A
   * subscribe still running its guards is not stopped: make them refuse the user as well. Resolves with
   * how many connections left the channel.
   */
  async unsubscribeUser(userId: string, channel: string): Promise<number> {
    checkUserId(userId);
    checkChannel(channel);
    return this.everywhere({ op: 'unsubscribe', user: userId, channel });
  }

  /**
   * Sends `payload` as a publication of the declared channel `channel` (the same `data` frame, serialized
   * once as `Channel.publish` does) to the connections of `userId` subscribed to it, and to no one
   * else; not kept in a history (a channel with history is refused: its subscribers expect an offset on
   * every publication), not passed to the channel's `filter` or its observers. With `outputValidation`,
   * projected to the channel's declared `payload` as its publications are. Throws as `publish` does when
   * JSON cannot carry `payload` or (`'error'`) it breaks the declared type. Resolves with how many connections it was sent to.
   */
  async sendToUser(userId: string, channel: string, payload: unknown): Promise<number> {
    checkUserId(userId);
    checkChannel(channel);
    const declared = this.registry.resolveChannel(channel);
    if (!declared) throw new Error(controlUnknownChannel(channel));
    if (declared.handler.options.history) throw new Error(controlSendToHistoryChannel(channel));
    // Projected to the declared payload as the channel's publications are (`outputValidation`): throws as they do.
    const { toWire } = declared.handler;
    const frame = dataFrame(channel, toWire ? toWire(payload) : toPlain(payload, this.options.serialization));
    return this.everywhere({ op: 'send', user: userId, channel, frame });
  }

  /** The connections of `userId` on every instance. */
  async listUser(userId: string): Promise<UserConnectionInfo[]> {
    checkUserId(userId);
    const connections = this.listLocal(userId);
    if (!this.transport) return connections;
    for (const answer of await this.request({ op: 'list', user: userId })) {
      if (answer.op === 'listed') connections.push(...answer.connections);
    }
    return connections;
  }

  /** Acts here, then on the other instances: the total count of connections acted on. */
  private async everywhere(command: Exclude<ControlCommand, { op: 'list' }>): Promise<number> {
    let count = this.act(command);
    if (!this.transport) return count;
    for (const answer of await this.request(command)) {
      if (answer.op === 'done') count += answer.count;
    }
    return count;
  }

  private act(command: Exclude<ControlCommand, { op: 'list' }>): number {
    const connections = this.users.of(command.user);
    if (!connections) return 0;
    let count = 0;
    switch (command.op) {
      case 'close':
        for (const connection of [...connections.keys()]) {
          if (!connection.isOpen) continue;
          connection.close(command.code, command.reason);
          count++;
        }
        return count;
      case 'unsubscribe': {
        const channel = this.hub.find(command.channel);
        if (!channel) return 0;
        for (const connection of [...connections.keys()]) {
          if (!this.subscriptions.unsubscribe(connection, channel)) continue;
          connection.sendFrame(unsubscribedReply(command.channel, undefined));
          count++;
        }
        return count;
      }
      case 'send': {
        const channel = this.hub.find(command.channel);
        if (!channel) return 0;
        const frame = Buffer.from(command.frame);
        for (const connection of connections.keys()) {
          if (!channel.subscribers.has(connection)) continue;
          connection.sendFrame(frame);
          count++;
        }
        return count;
      }
    }
  }

  private listLocal(userId: string): UserConnectionInfo[] {
    const instance = this.transport?.instanceId ?? LOCAL_INSTANCE;
    const list: UserConnectionInfo[] = [];
    for (const [connection, entry] of this.users.of(userId) ?? []) {
      if (!connection.isOpen) continue;
      const { clientAddress, expiresAt } = connection;
      list.push({
        id: connection.id,
        instance,
        connectedAt: entry.connectedAt,
        subscriptions: connection.subscriptions,
        ...(clientAddress === undefined ? {} : { clientAddress }),
        ...(expiresAt === undefined ? {} : { expiresAt }),
      });
    }
    return list;
  }

  /** Sends `command` to the other instances; their answers, once every instance that received it answered. */
  private request(command: ControlCommand): Promise<ControlAnswer[]> {
    const transport = this.transport!;
    const req = randomBytes(16).toString('hex');
    return new Promise((resolve, reject) => {
      const timeoutMs = this.options.controlTimeoutMs;
      const timer = setTimeout(
        () =>
          request.settle(
            new ControlUnavailableError(controlNoAnswer(request.answers.length, request.expected, timeoutMs)),
          ),
        timeoutMs,
      );
      const request: PendingRequest = {
        answers: [],
        settle: (error) => {
          if (!this.pending.delete(req)) return;
          clearTimeout(timer);
          if (error) reject(error);
          else resolve(request.answers);
        },
      };
      this.pending.set(req, request);
      const message = encodeControl({ ...command, req, from: transport.instanceId, at: Date.now() });
      transport.send(message).then(
        (receivers) => {
          request.expected = receivers;
          if (request.answers.length >= receivers) request.settle();
        },
        (error: Error) => request.settle(error),
      );
    });
  }

  /** A message from another instance: a command to act on and answer, or an answer to a request of ours. */
  private received(bytes: Buffer): void {
    const message = decodeControl(bytes);
    if (!message) return this.refuse('not a control message of this version');
    if (message.op === 'done' || message.op === 'listed') {
      const request = this.pending.get(message.req);
      if (!request) return; // answered after the timeout
      request.answers.push(message);
      if (request.expected !== undefined && request.answers.length >= request.expected) request.settle();
      return;
    }
    if (!this.fresh(message)) return this.refuse('replayed, or older than 30 s');
    const answer: ControlAnswer =
      message.op === 'list'
        ? { op: 'listed', connections: this.listLocal(message.user) }
        : { op: 'done', count: this.actOnRemote(message) };
    this.transport!.send(encodeControl({ ...answer, req: message.req }), message.from).catch(() => undefined);
  }

  /** A command from another instance; a `send`'s frame is checked and serialized again, as a remote publication's. */
  private actOnRemote(command: Exclude<ControlCommand, { op: 'list' }>): number {
    if (command.op !== 'send') return this.act(command);
    const checked = readRemoteFrame(command.channel, Buffer.from(command.frame));
    if (checked) return this.act({ ...command, frame: checked.frame.toString() });
    this.refuse(`a send whose frame is not a data frame of '${command.channel}'`);
    return 0;
  }

  /** Whether a command is new (not seen before) and recent; remembers it. */
  private fresh(message: Envelope): boolean {
    const now = Date.now();
    for (const [req, at] of this.seen) {
      if (now - at <= MAX_COMMAND_AGE_MS && this.seen.size < MAX_SEEN_COMMANDS) break;
      this.seen.delete(req);
    }
    if (Math.abs(now - message.at) > MAX_COMMAND_AGE_MS || this.seen.has(message.req)) return false;
    this.seen.set(message.req, now);
    return true;
  }

  private refuse(reason: string): void {
    this.refused.report((count) => controlRefusedMessage(count, reason));
  }
}

function checkUserId(userId: unknown): asserts userId is string {
  if (typeof userId !== 'string' || userId === '' || userId.length > MAX_CONTROL_TEXT) {
    throw new TypeError(
      controlInvalidArgument('userId', `a non-empty string of at most ${MAX_CONTROL_TEXT} characters`),
    );
  }
}

function checkChannel(channel: unknown): asserts channel is string {
  if (typeof channel !== 'string' || channel === '' || channel.length > MAX_CONTROL_TEXT) {
    throw new TypeError(
      controlInvalidArgument('channel', `a non-empty string of at most ${MAX_CONTROL_TEXT} characters`),
    );
  }
}
