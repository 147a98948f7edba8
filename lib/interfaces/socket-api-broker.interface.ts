import type { ControlTransport, UserConnectionStore } from './connection-control.interface.js';
import type { HistoryStore, PresenceStore, StreamSink } from './channel-stream.interface.js';

/**
 * Where publications from other instances go: the channel's name and its serialized `data` frame.
 * Returns false when the frame is not a valid `data` frame of that channel: it was not delivered.
 */
export type RemoteDelivery = (channel: string, frame: Buffer) => boolean;

/**
 * Carries channel publications between the instances of an app. A publication always reaches
 * this instance's subscribers directly, at once; the broker takes it to the other instances,
 * which hand it to `deliver`. It is told which channels have subscribers here, so that it only
 * listens for those.
 */
export interface SocketApiBroker {
  /**
   * Starts the broker; publications from other instances go to `deliver`. A broker with shared stores
   * hands what they carry (stored publications, presence events) to `sink`.
   */
  connect(deliver: RemoteDelivery, sink?: StreamSink): Promise<void>;
  /** Takes a publication made here to the other instances. Must not throw. */
  publish(channel: string, frame: Buffer): void;
  /** The channel's first subscriber on this instance arrived. */
  watch(channel: string): void;
  /** The channel's last subscriber on this instance left. */
  unwatch(channel: string): void;
  close(): Promise<void>;
  /**
   * Resolves once publications of `channel` from other instances reach this instance (its
   * subscription is acknowledged). Absent: at once.
   */
  listening?(channel: string): Promise<void>;
  /**
   * Whether the broker reaches the other instances right now: while false, the instance is not ready
   * (its readiness probe answers 503, see `health`). Absent: always connected.
   */
  readonly connected?: boolean;
  /** The history shared by the instances; absent: the in-memory one (one instance). */
  readonly history?: HistoryStore;
  /** The presence shared by the instances; absent: the in-memory one (one instance). */
  readonly presence?: PresenceStore;
  /** Control messages between the instances (`SocketApiConnections`); absent: control is local (one instance). */
  readonly control?: ControlTransport;
  /** Each user's connections over the instances (`maxConnectionsPerUser`); absent: counted here (one instance). */
  readonly users?: UserConnectionStore;
}
