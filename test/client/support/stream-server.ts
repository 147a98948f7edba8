import type { AddressInfo } from 'node:net';
import { WebSocketServer, type WebSocket } from 'ws';

/** A frame the client sent, as the server read it. */
export interface ReceivedFrame {
  type: string;
  id?: number;
  channel?: string;
  data?: unknown;
  recover?: { offset: number; epoch: string };
}

interface StreamChannel {
  epoch: string;
  top: number;
  /** Publications kept, oldest first (the history window: the last `size`). */
  entries: Array<{ offset: number; data: unknown }>;
  subscribers: Set<WebSocket>;
  presence: Map<WebSocket, { clientId: string; info?: unknown }>;
}

/**
 * A raw `ws` server the test controls, speaking the issue-12 wire (PROTOCOL.md, design §2): channels
 * with history (offsets on data frames, `subscribed` with the top and epoch, `recover` answered with
 * `recovered` and the replay), a plain channel, presence queries and join/leave. It is the stand-in
 * for the real server's history and presence while those parts are built; the same behaviours are
 * then proven against the real server (test/history, test/presence).
 */
export class StreamServer {
  readonly server: WebSocketServer;
  readonly sockets: WebSocket[] = [];
  readonly received: ReceivedFrame[] = [];
  /** History channels by name; `plain` is a channel without history. */
  private readonly channels = new Map<string, StreamChannel>();
  private readonly plainSubscribers = new Set<WebSocket>();
  private readonly clientIds = new Map<WebSocket, string>();
  /** Publications kept per channel. */
  size = 1000;
  /** Answers the next subscribes of these channels with `UNAVAILABLE` (counts down). */
  readonly unavailable = new Map<string, number>();
  /** Replays this many publications the client already had (a server overlapping its replay). */
  overlap = 0;
  /** The initial data sent on a fresh subscribe (none when undefined). */
  initialData: unknown = undefined;

  constructor(readonly historyChannels: readonly string[] = ['rooms/42']) {
    this.server = new WebSocketServer({ host: '127.0.0.1', port: 0 });
    for (const name of historyChannels) this.channels.set(name, this.newChannel('E1'));
    this.server.on('connection', (socket) => {
      this.clientIds.set(socket, `c${this.sockets.push(socket)}`);
      socket.on('message', (raw: Buffer) => this.onFrame(socket, JSON.parse(raw.toString()) as ReceivedFrame));
      socket.on('close', () => this.forget(socket));
    });
  }

  listening(): Promise<void> {
    return new Promise((resolve) => this.server.once('listening', () => resolve()));
  }

  get url(): string {
    return `ws://127.0.0.1:${(this.server.address() as AddressInfo).port}`;
  }

  /** The client frames of one type, in order. */
  framesOf(type: string): ReceivedFrame[] {
    return this.received.filter((frame) => frame.type === type);
  }

  /** One publication: stored (offset + 1), then sent to the live subscribers with its offset. */
  publish(name: string, data: unknown): number {
    const channel = this.channel(name);
    const offset = ++channel.top;
    channel.entries.push({ offset, data });
    if (channel.entries.length > this.size) channel.entries.shift();
    for (const socket of channel.subscribers) send(socket, { type: 'data', channel: name, data, offset });
    return offset;
  }

  publishPlain(data: unknown): void {
    for (const socket of this.plainSubscribers) send(socket, { type: 'data', channel: 'plain', data });
  }

  /** The history is lost (a restart without persistence): a new epoch, offsets from 0 again. */
  loseHistory(name: string, epoch: string): void {
    const { subscribers, presence } = this.channel(name);
    this.channels.set(name, { ...this.newChannel(epoch), subscribers, presence });
  }

  /** The channel is redeclared without history (a deploy turned it off): a plain channel from now on. */
  dropHistory(name: string): void {
    this.channels.delete(name);
  }

  /** Sends a raw frame to every socket open now. */
  sendToAll(frame: object): void {
    for (const socket of this.sockets) if (socket.readyState === socket.OPEN) send(socket, frame);
  }

  /** Cuts every connection without a close frame (the client sees 1006). */
  dropAll(): void {
    for (const socket of this.sockets) socket.terminate();
  }

  /** A member of a channel who is not a client of this test (another instance's subscriber). */
  announce(name: string, type: 'join' | 'leave', member: { clientId: string; info?: unknown }): void {
    for (const socket of this.channel(name).subscribers) send(socket, { type, channel: name, data: member });
  }

  close(): Promise<void> {
    this.dropAll();
    return new Promise((resolve) => this.server.close(() => resolve()));
  }

  private onFrame(socket: WebSocket, frame: ReceivedFrame): void {
    this.received.push(frame);
    const { channel: name = '', id } = frame;
    if (frame.type === 'ping') send(socket, { type: 'pong' });
    if (frame.type === 'subscribe') this.subscribe(socket, frame);
    if (frame.type === 'unsubscribe') {
      this.channels.get(name)?.subscribers.delete(socket);
      this.channels.get(name)?.presence.delete(socket);
      this.plainSubscribers.delete(socket);
      send(socket, { type: 'unsubscribed', channel: name, id });
    }
    if (frame.type === 'presence') {
      const channel = this.channels.get(name);
      if (channel === undefined || !channel.subscribers.has(socket)) {
        send(socket, { type: 'error', code: 'NOT_SUBSCRIBED', message: `Not subscribed to channel '${name}'.`, id });
      } else {
        send(socket, { type: 'presence', channel: name, data: [...channel.presence.values()], id });
      }
    }
  }

  private subscribe(socket: WebSocket, frame: ReceivedFrame): void {
    const { channel: name = '', id, recover } = frame;
    const left = this.unavailable.get(name) ?? 0;
    if (left > 0) {
      this.unavailable.set(name, left - 1);
      send(socket, { type: 'error', channel: name, code: 'UNAVAILABLE', message: 'Unavailable.', id });
      return;
    }
    if (!this.channels.has(name)) {
      this.plainSubscribers.add(socket);
      send(
        socket,
        recover
          ? { type: 'subscribed', channel: name, recovered: false, id }
          : { type: 'subscribed', channel: name, id },
      );
      this.sendInitialData(socket, name);
      return;
    }
    const channel = this.channel(name);
    const { epoch, top } = channel;
    const first = channel.entries[0]?.offset ?? top + 1;
    const recovered =
      recover === undefined
        ? undefined
        : recover.epoch === epoch && recover.offset <= top && recover.offset >= first - 1;
    send(socket, {
      type: 'subscribed',
      channel: name,
      offset: top,
      epoch,
      ...(recovered === undefined ? {} : { recovered }),
      id,
    });
    if (recovered === true && recover !== undefined) {
      const since = recover.offset - this.overlap;
      for (const entry of channel.entries) {
        if (entry.offset > since) send(socket, { type: 'data', channel: name, data: entry.data, offset: entry.offset });
      }
    } else {
      this.sendInitialData(socket, name);
    }
    const member = { clientId: this.clientIds.get(socket) ?? '', info: { n: this.clientIds.size } };
    for (const other of channel.subscribers) send(other, { type: 'join', channel: name, data: member });
    channel.subscribers.add(socket);
    channel.presence.set(socket, member);
  }

  private sendInitialData(socket: WebSocket, name: string): void {
    if (this.initialData !== undefined) send(socket, { type: 'data', channel: name, data: this.initialData });
  }

  private forget(socket: WebSocket): void {
    this.plainSubscribers.delete(socket);
    for (const channel of this.channels.values()) {
      channel.subscribers.delete(socket);
      channel.presence.delete(socket);
    }
  }

  private channel(name: string): StreamChannel {
    const channel = this.channels.get(name);
    if (channel === undefined) throw new Error(`no history channel ${name}`);
    return channel;
  }

  private newChannel(epoch: string): StreamChannel {
    return { epoch, top: 0, entries: [], subscribers: new Set(), presence: new Map() };
  }
}

function send(socket: WebSocket, frame: object): void {
  socket.send(JSON.stringify(frame));
}
