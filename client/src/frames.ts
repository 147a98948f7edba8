/** The frames of the wire protocol (PROTOCOL.md) the client sends and reads. */

export type MessageId = number;

export interface ValidationErrorEntry {
  path: string;
  messages: string[];
}

/** Where a subscriber is in a history channel: the last `offset` it received, in the stream of `epoch`. */
export interface StreamPosition {
  offset: number;
  epoch: string;
}

/** One subscriber of a presence channel (`presence` replies, `join`/`leave` frames' `data`). */
export interface PresenceMember<Info = unknown> {
  clientId: string;
  /** Absent when the channel exposes nothing about its members. */
  info?: Info;
}

export type ClientFrame =
  | { type: 'action'; channel: string; id: MessageId; data?: unknown }
  | { type: 'subscribe'; channel: string; id: MessageId; data?: unknown; recover?: StreamPosition }
  | { type: 'presence'; channel: string; id: MessageId }
  | { type: 'unsubscribe'; channel: string; id: MessageId }
  | { type: 'auth'; id: MessageId; data: unknown }
  | { type: 'contract'; id: MessageId }
  | { type: 'ping' };

/**
 * What the parts of the client that speak on the connection (subscriptions, renewal, contract check)
 * need from it: a way to send a frame (false when not connected) and ids from the client's one counter.
 */
export interface FrameLink {
  send(frame: ClientFrame): boolean;
  nextId(): MessageId;
}

/** A server frame, decoded; fields are checked where they are read (the server is trusted, not its proxies). */
export interface ServerFrame {
  type: string;
  channel?: unknown;
  id?: unknown;
  data?: unknown;
  status?: unknown;
  code?: unknown;
  message?: unknown;
  errors?: unknown;
  /** `contract` frames: the server's contract hash. */
  hash?: unknown;
  /** `data` frames of a history channel: the publication's offset; `subscribed` of one: the top. */
  offset?: unknown;
  /** `subscribed` of a history channel: the stream's epoch. */
  epoch?: unknown;
  /** `subscribed` answering a `recover` (or sent by the server alone): whether nothing was missed. */
  recovered?: unknown;
}

/** The decoded frame, or undefined for text that is not a JSON object. */
export function parseServerFrame(text: unknown): ServerFrame | undefined {
  if (typeof text !== 'string') return undefined;
  let value: unknown;
  try {
    value = JSON.parse(text);
  } catch {
    return undefined;
  }
  if (typeof value !== 'object' || value === null || Array.isArray(value)) return undefined;
  const frame = value as ServerFrame;
  return typeof frame.type === 'string' ? frame : undefined;
}
