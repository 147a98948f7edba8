import { createHmac, timingSafeEqual } from 'node:crypto';
import type { PresenceEvent, PresenceMember, StreamPosition } from '../interfaces/channel-stream.interface.js';
import { isTooDeep } from '../protocol/parse-client-message.js';

/**
 * The wire formats on Redis of what the shared stores publish, next to `RedisEnvelope`'s `v1` (plain
 * publications). Both are PUBLISHed by a Lua script, from a header the instance builds:
 *
 *     h1 <senderId> [mac]\n<offset> <epoch>\n<data>     a stored publication of a channel with history
 *     p1 <senderId>\n<join|leave> <member JSON>         a presence event
 *
 * `data` is the JSON text of the publication's `data` ('' when it has none). `mac` (with a secret) is the
 * lowercase hex HMAC-SHA256 of `h1 <senderId>\n<redis channel>\n<data>`: the offset/epoch line is written by
 * the script, which cannot sign it cheaply, so it is not covered; a replayed message is harmless, since
 * receivers drop an offset they have delivered already. Unlike `v1`, an instance's own messages are not
 * skipped: the script's PUBLISH is how a history publication reaches this instance's subscribers too, with
 * its offset. Presence messages are not signed (a sweep publishes members it did not add).
 */
const HISTORY = 'h1';
const PRESENCE = 'p1';
const SENDER_ID = /^[0-9a-f]{16}$/;
const MAC = /^[0-9a-f]{64}$/;
/** The offset/epoch line: an offset of at most 15 digits (a safe integer), an epoch as `StreamPosition` says. */
const POSITION = /^([1-9][0-9]{0,14}) ([A-Za-z0-9._~-]{1,64})$/;
/** Longest header: `h1 `, the id, a space and the MAC. */
const MAX_HEADER_BYTES = 3 + 16 + 1 + 64;
/** Longest offset/epoch line. */
const MAX_POSITION_BYTES = 15 + 1 + 64;
/** Deepest `data` accepted, as for `v1` publications (see remote-frame.ts). */
const MAX_DEPTH = 1000;
const NEWLINE = 0x0a;
const SPACE = 0x20;
const DIGIT_ONE = 0x31;

/** What a stream message carries, once checked. */
export type StreamMessage = { readonly own: boolean } & (
  | { readonly kind: 'stored'; readonly position: StreamPosition; readonly data: string }
  | { readonly kind: 'presence'; readonly event: PresenceEvent; readonly member: PresenceMember }
);

/** Whether a message on Redis is an `h1`/`p1` stream message rather than a `v1`/`v0` publication. */
export function isStreamMessage(message: Buffer): boolean {
  // `h` and `p` are not hex digits: a v0 header (a bare sender id) never starts with them.
  return (
    message.length > 3 &&
    (message[0] === 0x68 || message[0] === 0x70) &&
    message[1] === DIGIT_ONE &&
    message[2] === SPACE
  );
}

export class StreamEnvelope {
  private readonly presenceHeader: string;

  /**
   * @param senderId this process's id (16 hex digits)
   * @param secret when set, history messages are signed, and only signed ones are accepted
   */
  constructor(
    readonly senderId: string,
    private readonly secret: string | undefined,
  ) {
    this.presenceHeader = `${PRESENCE} ${senderId}\n`;
  }

  /** The header the append script puts before `<offset> <epoch>\n<data>` on `redisChannel`. */
  historyHeader(redisChannel: string, data: string): string {
    const unsigned = `${HISTORY} ${this.senderId}`;
    if (this.secret === undefined) return `${unsigned}\n`;
    return `${unsigned} ${this.mac(unsigned, redisChannel, Buffer.from(data)).toString('hex')}\n`;
  }

  /** The header the presence scripts put before `<join|leave> <member JSON>`. */
  get presenceMessageHeader(): string {
    return this.presenceHeader;
  }

  /** What a message that `isStreamMessage` received on `redisChannel` carries, or why it is refused. */
  decode(redisChannel: Buffer, message: Buffer): StreamMessage | string {
    const newline = message.indexOf(NEWLINE);
    if (newline <= 0 || newline > MAX_HEADER_BYTES) return 'no envelope header';
    const fields = message.toString('latin1', 0, newline).split(' ');
    const [version, sender, mac] = fields;
    if (!SENDER_ID.test(sender) || fields.length > (version === HISTORY ? 3 : 2)) return 'malformed envelope header';
    const body = message.subarray(newline + 1);
    const own = sender === this.senderId;
    return version === HISTORY ? this.decodeStored(redisChannel, sender, mac, body, own) : decodePresence(body, own);
  }

  private decodeStored(
    redisChannel: Buffer,
    sender: string,
    mac: string | undefined,
    body: Buffer,
    own: boolean,
  ): StreamMessage | string {
    const newline = body.indexOf(NEWLINE);
    if (newline < 0 || newline > MAX_POSITION_BYTES) return 'no offset and epoch';
    const position = POSITION.exec(body.toString('latin1', 0, newline));
    if (!position) return 'malformed offset or epoch';
    const dataBytes = body.subarray(newline + 1);
    if (this.secret !== undefined) {
      if (mac === undefined) return 'unsigned (a secret is set)';
      if (!MAC.test(mac)) return 'malformed signature';
      const expected = this.mac(`${HISTORY} ${sender}`, redisChannel, dataBytes);
      if (!timingSafeEqual(Buffer.from(mac, 'hex'), expected)) return 'bad signature';
    }
    const data = dataBytes.toString('utf8');
    // Signed data was written by JSON.stringify on an instance holding the secret; unsigned data may be anyone's,
    // and is put in clients' frames as it is: it must be one JSON value of a sane depth.
    if (this.secret === undefined && data !== '' && !isJsonValue(data)) return 'data that is not JSON';
    return { own, kind: 'stored', position: { offset: Number(position[1]), epoch: position[2] }, data };
  }

  private mac(unsignedHeader: string, redisChannel: string | Buffer, data: Buffer): Buffer {
    return createHmac('sha256', this.secret!)
      .update(unsignedHeader)
      .update('\n')
      .update(redisChannel)
      .update('\n')
      .update(data)
      .digest();
  }
}

function isJsonValue(text: string): boolean {
  try {
    return !isTooDeep(JSON.parse(text), MAX_DEPTH);
  } catch {
    return false;
  }
}

/** `<join|leave> <member JSON>`: the member must be an object with a string `clientId`. */
function decodePresence(body: Buffer, own: boolean): StreamMessage | string {
  const text = body.toString('utf8');
  const space = text.indexOf(' ');
  const event = text.slice(0, space);
  if (event !== 'join' && event !== 'leave') return 'unknown presence event';
  let member: unknown;
  try {
    member = JSON.parse(text.slice(space + 1));
  } catch {
    return 'presence member that is not JSON';
  }
  if (typeof member !== 'object' || member === null || Array.isArray(member)) return 'malformed presence member';
  const { clientId, info } = member as { clientId?: unknown; info?: unknown };
  if (typeof clientId !== 'string' || clientId === '') return 'malformed presence member';
  if (isTooDeep(info, MAX_DEPTH)) return 'malformed presence member';
  return { own, kind: 'presence', event, member: info === undefined ? { clientId } : { clientId, info } };
}
