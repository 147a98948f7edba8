import { isUtf8 } from 'node:buffer';
import { ErrorCode } from './error-codes.js';
import type { ClientMessage, ClientMessageType, ErrorPayload, MessageId } from './messages.js';

const TYPES: ReadonlySet<string> = new Set<ClientMessageType>(['action', 'subscribe', 'unsubscribe', 'ping', 'auth']);
/** Types that are not about a channel. */
const CHANNEL_FREE: ReadonlySet<string> = new Set<ClientMessageType>(['ping', 'auth']);

export type ParseResult = { message: ClientMessage } | { error: ErrorPayload };

/**
 * Checks one text frame against the envelope rules of PROTOCOL.md, in SocketAPI's order. A frame
 * that is not UTF-8 is text that is not JSON.
 */
export function parseClientMessage(frame: string | Buffer): ParseResult {
  if (typeof frame !== 'string' && !isUtf8(frame)) return invalid('Invalid JSON.');
  let value: unknown;
  try {
    value = JSON.parse(frame.toString());
  } catch {
    return invalid('Invalid JSON.');
  }
  if (typeof value !== 'object' || value === null || Array.isArray(value)) {
    return invalid('Message must be a JSON object.');
  }
  const raw = value as Record<string, unknown>;
  // Whatever else is wrong, a well-formed id and channel are echoed so the client can match the error.
  const id = isMessageId(raw.id) ? raw.id : undefined;
  const channel = typeof raw.channel === 'string' && raw.channel !== '' ? raw.channel : undefined;
  const fail = (code: string, message: string): ParseResult => ({ error: withContext({ code, message }, channel, id) });

  if (typeof raw.type !== 'string' || raw.type === '') {
    return fail(ErrorCode.INVALID_MESSAGE, 'Message type is required.');
  }
  if (raw.id !== undefined && id === undefined) {
    return fail(ErrorCode.INVALID_MESSAGE, 'Message id must be a string or a number.');
  }
  if (!TYPES.has(raw.type)) {
    return fail(ErrorCode.UNKNOWN_TYPE, `Unknown message type: ${raw.type}.`);
  }
  const type = raw.type as ClientMessageType;
  if (!CHANNEL_FREE.has(type) && channel === undefined) {
    return fail(ErrorCode.INVALID_MESSAGE, 'Channel is required.');
  }
  const data = raw.data === undefined || raw.data === null ? {} : raw.data;
  return { message: { type, channel: channel ?? '', data, id } };
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
