/** A message id as the client sent it; echoed on every reply and error the message causes. */
export type MessageId = string | number;

export type ClientMessageType = 'action' | 'subscribe' | 'unsubscribe' | 'ping' | 'auth' | 'contract';

/** A client message that passed the envelope checks. */
export interface ClientMessage {
  type: ClientMessageType;
  /** Empty only for `ping`, `auth` and `contract`. */
  channel: string;
  /** The parameters; a missing or `null` `data` is `{}`. */
  data: unknown;
  id?: MessageId;
}

/** What the client is told about a failure (the `error` frame without its `type`). */
export interface ErrorPayload {
  code: string;
  message: string;
  channel?: string;
  id?: MessageId;
  errors?: { path: string; messages: string[] }[];
}
