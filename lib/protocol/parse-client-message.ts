import { isUtf8 } from 'node:buffer';
import { ErrorCode } from './error-codes.js';
import { ErrorMessage } from './socket-api.messages.js';
import type { ClientMessage, ClientMessageType, ErrorPayload, MessageId } from './messages.js';

const TYPES: ReadonlySet<string> = new Set<ClientMessageType>(['action', 'subscribe', 'unsubscribe', 'ping', 'auth']);
/** Types that are not about a channel. */
const CHANNEL_FREE: ReadonlySet<string> = new Set<ClientMessageType>(['ping', 'auth']);

export type ParseResult = { message: ClientMessage } | { error: ErrorPayload };

/**
 * Checks one text frame against the envelope rules of PROTOCOL.md, in SocketAPI's order. A frame
 * that is not UTF-8 is text that is not JSON. `data` nested deeper than `maxDepth` levels is refused
 * here, so that no handler, validator or serializer has to cope with it (JSON.stringify overflows its
 * stack on a few thousand levels, and each such failure would be logged).
 */
export function parseClientMessage(frame: string | Buffer, maxDepth: number): ParseResult {
  if (typeof frame !== 'string' && !isUtf8(frame)) return invalid(ErrorMessage.invalidJson);
  let value: unknown;
  try {
    value = JSON.parse(frame.toString());
  } catch {
    return invalid(ErrorMessage.invalidJson);
  }
  if (typeof value !== 'object' || value === null || Array.isArray(value)) {
    return invalid(ErrorMessage.notAnObject);
  }
  const raw = value as Record<string, unknown>;
  // Whatever else is wrong, a well-formed id and channel are echoed so the client can match the error.
  const id = isMessageId(raw.id) ? raw.id : undefined;
  const channel = typeof raw.channel === 'string' && raw.channel !== '' ? raw.channel : undefined;
  const fail = (code: string, message: string): ParseResult => ({ error: withContext({ code, message }, channel, id) });

  if (typeof raw.type !== 'string' || raw.type === '') {
    return fail(ErrorCode.INVALID_MESSAGE, ErrorMessage.typeRequired);
  }
  if (raw.id !== undefined && id === undefined) {
    return fail(ErrorCode.INVALID_MESSAGE, ErrorMessage.invalidId);
  }
  if (!TYPES.has(raw.type)) {
    return fail(ErrorCode.UNKNOWN_TYPE, ErrorMessage.unknownType(raw.type));
  }
  const type = raw.type as ClientMessageType;
  if (!CHANNEL_FREE.has(type) && channel === undefined) {
    return fail(ErrorCode.INVALID_MESSAGE, ErrorMessage.channelRequired);
  }
  if (isTooDeep(raw.data, maxDepth)) {
    return fail(ErrorCode.INVALID_MESSAGE, ErrorMessage.nestedTooDeeply(maxDepth));
  }
  const data = raw.data === undefined || raw.data === null ? {} : raw.data;
  return { message: { type, channel: channel ?? '', data, id } };
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

export function withContext(error: ErrorPayload, channel?: string, id?: MessageId): ErrorPayload {
  // `ping` and `auth` carry no channel (an empty one inside): nothing to echo.
  if (channel) error.channel = channel;
  if (id !== undefined) error.id = id;
  return error;
}
