import { isUtf8 } from 'node:buffer';
import { ErrorCode } from './error-codes.js';
import type { StreamPosition } from '../interfaces/channel-stream.interface.js';
import type { ClientMessageType, ErrorPayload, MessageId, ReceivedMessage } from './messages.js';
import { ErrorMessage } from './socket-api.messages.js';

/** The longest `recover.epoch` a client may send (the server's epochs are shorter). */
const MAX_EPOCH_LENGTH = 64;

/** What a frame that is not UTF-8 decodes to, somewhere: each invalid sequence becomes one. */
const REPLACEMENT_CHARACTER = '\ufffd';

export type ParseResult = { message: ReceivedMessage } | { error: ErrorPayload };

/**
 * Checks one text frame against the envelope rules of PROTOCOL.md, in SocketAPI's order. A frame
 * that is not UTF-8 is text that is not JSON. `data` nested deeper than `maxDepth` levels is refused
 * here, so that no handler, validator or serializer has to cope with it (JSON.stringify overflows its
 * stack on a few thousand levels, and each such failure would be logged).
 */
export function parseClientMessage(frame: string | Buffer, maxDepth: number): ParseResult {
  const text = typeof frame === 'string' ? frame : decodeUtf8(frame);
  if (text === undefined) return invalid(ErrorMessage.invalidJson);
  let value: unknown;
  try {
    value = JSON.parse(text);
  } catch {
    return invalid(ErrorMessage.invalidJson);
  }
  if (typeof value !== 'object' || value === null || Array.isArray(value)) {
    return invalid(ErrorMessage.notAnObject);
  }
  const raw = value as Record<string, unknown>;
  const id = isMessageId(raw.id) ? raw.id : undefined;
  const channel = typeof raw.channel === 'string' && raw.channel !== '' ? raw.channel : undefined;

  if (typeof raw.type !== 'string' || raw.type === '') {
    return fail(ErrorCode.INVALID_MESSAGE, ErrorMessage.typeRequired, channel, id);
  }
  if (raw.id !== undefined && id === undefined) {
    return fail(ErrorCode.INVALID_MESSAGE, ErrorMessage.invalidId, channel, id);
  }
  const type = clientMessageType(raw.type);
  if (type === undefined) {
    return fail(ErrorCode.UNKNOWN_TYPE, ErrorMessage.unknownType(raw.type), channel, id);
  }
  if (channel === undefined && type !== 'ping' && type !== 'auth' && type !== 'contract') {
    return fail(ErrorCode.INVALID_MESSAGE, ErrorMessage.channelRequired, channel, id);
  }
  if (isTooDeep(raw.data, maxDepth)) {
    return fail(ErrorCode.INVALID_MESSAGE, ErrorMessage.nestedTooDeeply(maxDepth), channel, id);
  }
  const data = raw.data === undefined || raw.data === null ? {} : raw.data;
  const message: ReceivedMessage = { type, channel: channel ?? '', data, id, receivedAt: 0, run: 0 };
  // `recover` means something on `subscribe` only; elsewhere it is an unknown field, ignored like the others.
  if (type === 'subscribe' && raw.recover !== undefined) {
    const recover = streamPosition(raw.recover);
    if (!recover) return fail(ErrorCode.INVALID_MESSAGE, ErrorMessage.invalidRecover, channel, id);
    message.recover = recover;
  }
  return { message };
}

/** `{"offset": n, "epoch": "…"}` as a position (other fields dropped), or undefined when it is not one. */
function streamPosition(value: unknown): StreamPosition | undefined {
  if (typeof value !== 'object' || value === null) return undefined;
  const { offset, epoch } = value as Record<string, unknown>;
  if (typeof offset !== 'number' || !Number.isSafeInteger(offset) || offset < 0) return undefined;
  if (typeof epoch !== 'string' || epoch === '' || epoch.length > MAX_EPOCH_LENGTH) return undefined;
  return { offset, epoch };
}

/**
 * The frame as text, or undefined when it is not UTF-8. Decoding replaces every invalid sequence
 * with U+FFFD, so text without one came from valid UTF-8 and needs no second pass over the bytes;
 * only text that holds one (sent, or replaced) is checked byte by byte. Frames are usually ASCII,
 * and V8 answers the search in a one-byte string without scanning it.
 */
function decodeUtf8(frame: Buffer): string | undefined {
  const text = frame.toString();
  if (text.indexOf(REPLACEMENT_CHARACTER) === -1 || isUtf8(frame)) return text;
  return undefined;
}

/** A switch rather than a Set: one frame needs this once, and compares of short strings cost less than hashing. */
function clientMessageType(type: string): ClientMessageType | undefined {
  switch (type) {
    case 'action':
    case 'subscribe':
    case 'unsubscribe':
    case 'ping':
    case 'auth':
    case 'contract':
    case 'presence':
      return type;
    default:
      return undefined;
  }
}

/**
 * Whether `data` nests objects or arrays more than `maxDepth` levels (the HTTP bridge checks its
 * bodies with it too). A `maxDepth` set higher than the stack allows must not let a deep frame
 * overflow it here.
 */
export function isTooDeep(data: unknown, maxDepth: number): boolean {
  try {
    return nestsDeeper(data, maxDepth);
  } catch {
    return true; // RangeError: deeper than this stack can walk
  }
}

/**
 * Whether `value` has objects or arrays nested more than `levels` deep. Recursive, but never deeper
 * than `levels`; allocates nothing, so a small frame pays a few type checks.
 */
function nestsDeeper(value: unknown, levels: number): boolean {
  if (typeof value !== 'object' || value === null) return false;
  if (levels === 0) return true;
  if (Array.isArray(value)) {
    for (let i = 0; i < value.length; i++) {
      if (nestsDeeper(value[i], levels - 1)) return true;
    }
    return false;
  }
  for (const key in value) {
    if (nestsDeeper((value as Record<string, unknown>)[key], levels - 1)) return true;
  }
  return false;
}

function isMessageId(value: unknown): value is MessageId {
  return typeof value === 'string' || (typeof value === 'number' && Number.isFinite(value));
}

function invalid(message: string): ParseResult {
  return { error: { code: ErrorCode.INVALID_MESSAGE, message } };
}

/** Whatever else is wrong, a well-formed id and channel are echoed so the client can match the error. */
function fail(code: string, message: string, channel: string | undefined, id: MessageId | undefined): ParseResult {
  return { error: withContext({ code, message }, channel, id) };
}

export function withContext(error: ErrorPayload, channel?: string, id?: MessageId): ErrorPayload {
  // `ping` and `auth` carry no channel (an empty one inside): nothing to echo.
  if (channel) error.channel = channel;
  if (id !== undefined) error.id = id;
  return error;
}
