import type { PresenceEvent, PresenceMember } from '../interfaces/channel-stream.interface.js';

/**
 * The presence events on Redis, version p1, published by the presence scripts (see
 * `redis-presence-scripts.ts`) on the channel's Redis channel, next to its publications:
 *
 *     p1 <senderId>\njoin {"clientId":"…","info":…}
 *     p1 <senderId>\nleave {"clientId":"…"}
 *
 * `senderId` is the instance whose script call added or removed the member (for logs: every
 * instance, the sender included, hands the event to its channel, since the script published it
 * once for all). Not signed: a Lua script cannot HMAC cheaply, and the worst a forged one does is a
 * `join`/`leave` frame about a made-up clientId; it changes no store.
 */
const VERSION = 'p1';
const SENDER_ID = /^[0-9a-f]{16}$/;
/** A clientId is a connection's UUID; anything much longer is not one of ours. */
const MAX_CLIENT_ID_LENGTH = 128;

export interface DecodedPresenceEvent {
  readonly event: PresenceEvent;
  readonly member: PresenceMember;
}

/** What a presence script prepends to an event: the version and the sender, then a newline. */
export function presenceHeader(senderId: string): string {
  return `${VERSION} ${senderId}\n`;
}

/** Whether `message` is a p1 message (as opposed to a publication): what the broker routes on. */
export function isPresenceMessage(message: Buffer): boolean {
  return message.length > 3 && message[0] === 0x70 /* p */ && message[1] === 0x31 /* 1 */ && message[2] === 0x20;
}

/** The event of a p1 message, or why it is refused. */
export function decodePresenceMessage(message: Buffer): DecodedPresenceEvent | string {
  const text = message.toString('utf8');
  const newline = text.indexOf('\n');
  if (newline < 0) return 'no envelope header';
  const [version, sender, extra] = text.slice(0, newline).split(' ');
  if (version !== VERSION || !SENDER_ID.test(sender ?? '') || extra !== undefined) return 'malformed presence header';
  const space = text.indexOf(' ', newline + 1);
  const event = text.slice(newline + 1, space);
  if (space < 0 || (event !== 'join' && event !== 'leave')) return 'not a join or a leave';
  let member: unknown;
  try {
    member = JSON.parse(text.slice(space + 1));
  } catch {
    return 'a presence member that is not JSON';
  }
  if (!isMember(member)) return 'a presence member without a clientId';
  return {
    event,
    member: 'info' in member ? { clientId: member.clientId, info: member.info } : { clientId: member.clientId },
  };
}

function isMember(value: unknown): value is { clientId: string; info?: unknown } {
  if (typeof value !== 'object' || value === null || Array.isArray(value)) return false;
  const { clientId } = value as { clientId?: unknown };
  return typeof clientId === 'string' && clientId.length > 0 && clientId.length <= MAX_CLIENT_ID_LENGTH;
}
