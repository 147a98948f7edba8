import type { PresenceEvent, PresenceMember, StreamPosition } from '../interfaces/channel-stream.interface.js';
import type { ErrorPayload, MessageId } from './messages.js';
import { UnserializableValueError } from './to-plain.js';

/**
 * The start of the last action reply, kept for the next: replies to one action in a row (the usual
 * case under load) then cost no escape check of the name and four string additions less each.
 */
let lastActionChannel = '';
let lastActionStart = '{"type":"action","channel":"","status":"completed"';

/**
 * Serializers for every server → client frame of PROTOCOL.md. `data` must already be plain JSON
 * (see `toPlain`, which refuses what JSON would alter); `undefined` and `null` leave the `data` key
 * out, every other value is sent. Frames are concatenated rather than built as objects: these run
 * once per message. Each throws what JSON.stringify throws (a cycle, a BigInt, a throwing `toJSON`):
 * callers serialize before sending, inside a try.
 */
export function actionReply(channel: string, data: unknown, id: MessageId | undefined): string {
  if (channel !== lastActionChannel) {
    lastActionStart = `{"type":"action","channel":${jsonString(channel)},"status":"completed"`;
    lastActionChannel = channel;
  }
  return `${lastActionStart}${dataField(data)}${idField(id)}}`;
}

/**
 * `subscribed`; for a history channel with `stream`: its top (`offset`, `epoch`) and, when the
 * subscribe asked to `recover`, whether it did. Without `id`, the server's own notice that a live
 * subscriber's stream broke (`recovered: false`) or was born (`recovered: true`).
 */
export function subscribedReply(
  channel: string,
  id: MessageId | undefined,
  stream?: { top: StreamPosition; recovered?: boolean },
): string {
  if (stream === undefined) return `{"type":"subscribed","channel":${jsonString(channel)}${idField(id)}}`;
  const { top, recovered } = stream;
  const outcome = recovered === undefined ? '' : `,"recovered":${recovered}`;
  return `{"type":"subscribed","channel":${jsonString(channel)},"offset":${top.offset},"epoch":${jsonString(top.epoch)}${outcome}${idField(id)}}`;
}

/** `subscribed` to a `recover` on a channel without history: nothing to recover, no position. */
export function notRecoveredReply(channel: string, id: MessageId | undefined): string {
  return `{"type":"subscribed","channel":${jsonString(channel)},"recovered":false${idField(id)}}`;
}

export function unsubscribedReply(channel: string, id: MessageId | undefined): string {
  return `{"type":"unsubscribed","channel":${jsonString(channel)}${idField(id)}}`;
}

export function pongReply(id: MessageId | undefined): string {
  return `{"type":"pong"${idField(id)}}`;
}

/** The answer to `contract`: the hash of the server's typed-client contract (hex, so no escaping). */
export function contractReply(hash: string, id: MessageId | undefined): string {
  return `{"type":"contract","hash":"${hash}"${idField(id)}}`;
}

/** The answer to a successful `auth` (credential renewal); `expiresAt` in ms since the epoch, if any. */
export function authReply(expiresAt: number | undefined, id: MessageId | undefined): string {
  const data = expiresAt === undefined ? '' : `,"data":{"expiresAt":${expiresAt}}`;
  return `{"type":"auth","status":"renewed"${data}${idField(id)}}`;
}

export function dataFrame(channel: string, data: unknown): string {
  return `{"type":"data","channel":${jsonString(channel)}${dataField(data)}}`;
}

/** A publication of a history channel: `data` is its JSON text as stored ('' for none), `offset` its place in the stream. */
export function historyDataFrame(channel: string, data: string, offset: number): string {
  const field = data === '' ? '' : `,"data":${data}`;
  return `{"type":"data","channel":${jsonString(channel)}${field},"offset":${offset}}`;
}

/** The answer to `presence`: the channel's members, each with its `info` when the channel exposes one. */
export function presenceReply(channel: string, members: readonly PresenceMember[], id: MessageId | undefined): string {
  return `{"type":"presence","channel":${jsonString(channel)},"data":[${members.map(memberJson).join(',')}]${idField(id)}}`;
}

/** `join` or `leave` of `member`, to the other subscribers of a presence channel with `joinLeave`. */
export function presenceEventFrame(type: PresenceEvent, channel: string, member: PresenceMember): string {
  return `{"type":"${type}","channel":${jsonString(channel)},"data":${memberJson(member)}}`;
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
  if (data === null || data === undefined) return '';
  // JSON.stringify gives undefined for a function or symbol (toPlain refuses both before): key left out.
  const json =
    typeof data === 'number' ? jsonNumber(data) : typeof data === 'string' ? jsonString(data) : JSON.stringify(data);
  return json === undefined ? '' : `,"data":${json}`;
}

/** `{"clientId":…,"info":…}`: these two fields only, whatever else the member object holds; `info` left out when absent. */
function memberJson({ clientId, info }: PresenceMember): string {
  // JSON.stringify gives undefined for a function or symbol (toPlain refuses both before): key left out.
  const infoJson = info === undefined ? undefined : JSON.stringify(info);
  return `{"clientId":${jsonString(clientId)}${infoJson === undefined ? '' : `,"info":${infoJson}`}}`;
}

function idField(id: MessageId | undefined): string {
  if (id === undefined) return '';
  return `,"id":${typeof id === 'number' ? jsonNumber(id) : jsonString(id)}`;
}

/*
 * JSON.stringify of a short string or a number costs a call into the runtime; a reply holds two or
 * three of them (channel, data, id), the most a frame costs after JSON.parse. These give the very
 * same text for the common cases and leave the rest to JSON.stringify.
 */

/** JSON.stringify(value) for a number: a finite one prints as String() prints it, the others as `null`. */
function jsonNumber(value: number): string {
  return Number.isFinite(value) ? String(value) : 'null';
}

/** Longer strings are scanned faster by JSON.stringify itself than by a loop here. */
const SHORT_STRING = 64;

/** JSON.stringify(value) for a string: quotes alone when no character needs an escape. */
function jsonString(value: string): string {
  if (value.length > SHORT_STRING) return JSON.stringify(value);
  for (let i = 0; i < value.length; i++) {
    const code = value.charCodeAt(i);
    // Control characters, `"` and `\` are escaped; so are lone surrogates (0xd800–0xdfff): let JSON.stringify decide.
    if (code < 0x20 || code === 0x22 || code === 0x5c || (code >= 0xd800 && code <= 0xdfff))
      return JSON.stringify(value);
  }
  return `"${value}"`;
}
