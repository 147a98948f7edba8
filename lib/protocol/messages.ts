import type { StreamPosition } from '../interfaces/channel-stream.interface.js';

/** A message id as the client sent it; echoed on every reply and error the message causes. */
export type MessageId = string | number;

export type ClientMessageType = 'action' | 'subscribe' | 'unsubscribe' | 'ping' | 'auth' | 'contract' | 'presence';

/** A client message that passed the envelope checks. */
export interface ClientMessage {
  type: ClientMessageType;
  /** Empty only for `ping`, `auth` and `contract`. */
  channel: string;
  /** The parameters; a missing or `null` `data` is `{}`. */
  data: unknown;
  id?: MessageId;
  /** `subscribe` only: the position of a client that resubscribes to a history channel, to get what it missed. */
  recover?: StreamPosition;
}

/** A client message as the server holds it while it handles it (not part of the wire format). */
export interface ReceivedMessage extends ClientMessage {
  /**
   * When its handling began, in milliseconds of the metrics' clock (`ActionTimer`): set for a declared
   * action while metrics are on, else 0. A field of the message, not an entry of a map: the reply of an
   * action that awaits is sent in a later turn, while other frames are handled.
   */
  receivedAt: number;
  /** The run of actions it is timed in (see `ActionTimer`); 0: none (timed alone, or not timed). */
  run: number;
}

/** What the client is told about a failure (the `error` frame without its `type`). */
export interface ErrorPayload {
  code: string;
  message: string;
  channel?: string;
  id?: MessageId;
  errors?: { path: string; messages: string[] }[];
}
