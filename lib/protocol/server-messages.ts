import type { ErrorPayload, MessageId } from './messages.js';
import { UnserializableValueError } from './to-plain.js';

/**
 * Serializers for every server → client frame of PROTOCOL.md. `data` must already be plain JSON
 * (see `toPlain`, which refuses what JSON would alter); `undefined` and `null` leave the `data` key
 * out, every other value is sent. Frames are concatenated rather than built as objects: these run
 * once per message. Each throws what JSON.stringify throws (a cycle, a BigInt, a throwing `toJSON`):
 * callers serialize before sending, inside a try.
 */
export function actionReply(channel: string, data: unknown, id: MessageId | undefined): string {
  return `{"type":"action","channel":${JSON.stringify(channel)},"status":"completed"${dataField(data)}${idField(id)}}`;
}

export function subscribedReply(channel: string, id: MessageId | undefined): string {
  return `{"type":"subscribed","channel":${JSON.stringify(channel)}${idField(id)}}`;
}

export function unsubscribedReply(channel: string, id: MessageId | undefined): string {
  return `{"type":"unsubscribed","channel":${JSON.stringify(channel)}${idField(id)}}`;
}

export function pongReply(id: MessageId | undefined): string {
  return `{"type":"pong"${idField(id)}}`;
}

/** The answer to a successful `auth` (credential renewal); `expiresAt` in ms since the epoch, if any. */
export function authReply(expiresAt: number | undefined, id: MessageId | undefined): string {
  const data = expiresAt === undefined ? '' : `,"data":{"expiresAt":${expiresAt}}`;
  return `{"type":"auth","status":"renewed"${data}${idField(id)}}`;
}

export function dataFrame(channel: string, data: unknown): string {
  return `{"type":"data","channel":${JSON.stringify(channel)}${dataField(data)}}`;
}

export function errorFrame(error: ErrorPayload): string {
  return JSON.stringify({ type: 'error', ...error });
}

/** A message of the application's own (`connection.send`), as JSON. */
export function applicationMessage(message: unknown): string {
  const json = JSON.stringify(message);
  if (json === undefined) throw new UnserializableValueError('the value is undefined');
  return json;
}

function dataField(data: unknown): string {
  // JSON.stringify gives undefined for a function or symbol (toPlain refuses both before): key left out.
  const json = data === null || data === undefined ? undefined : JSON.stringify(data);
  return json === undefined ? '' : `,"data":${json}`;
}

function idField(id: MessageId | undefined): string {
  return id === undefined ? '' : `,"id":${JSON.stringify(id)}`;
}
