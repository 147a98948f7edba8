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
  /** Starts the broker; publications from other instances go to `deliver`. */
  connect(deliver: RemoteDelivery): Promise<void>;
  /** Takes a publication made here to the other instances. Must not throw. */
  publish(channel: string, frame: Buffer): void;
  /** The channel's first subscriber on this instance arrived. */
  watch(channel: string): void;
  /** The channel's last subscriber on this instance left. */
  unwatch(channel: string): void;
  close(): Promise<void>;
}
