import { Buffer } from 'node:buffer';
import { createHmac, timingSafeEqual } from 'node:crypto';
import type { StreamPosition } from '../interfaces/channel-stream.interface.js';
import { isTooDeep } from '../protocol/parse-client-message.js';

/**
 * The wire format on Redis of a stored publication of a channel with history, next to `RedisEnvelope`'s
 * `v1` (plain publications). It is PUBLISHed by the history store's append script, from a header the
 * instance builds (presence events, `p1`, have their own format: presence-envelope.ts):
 *
 *     h1 <senderId> [mac]\n<offset> <epoch>\n<data>
 *
 * `data` is the JSON text of the publication's `data` ('' when it has none). `mac` (with a secret) is the
 * lowercase hex HMAC-SHA256 of `h1 <senderId>\n<redis channel>\n<data>`: the offset/epoch line is written by
 * the script, which cannot sign it cheaply, so it is not covered; a replayed message is harmless, since
 * receivers drop an offset they have delivered already. Unlike `v1`, an instance's own messages are not
 * skipped: the script's PUBLISH is how a history publication reaches this instance's subscribers too, with
 * its offset.
 */
const HISTORY = 'h1';
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

/** A stored publication from Redis, once checked. */
export interface StoredMessage {
  readonly position: StreamPosition;
  readonly data: string;
  /** Published by this instance (its own publication coming back, delivered here like the others). */
  readonly own: boolean;
}

/** Whether a message on Redis is an `h1` stored publication rather than a `v1`/`v0` one. */
export function isStoredMessage(message: Buffer): boolean {
  // `h` is not a hex digit: a v0 header (a bare sender id) never starts with it.
  return message.length > 3 && message[0] === 0x68 && message[1] === DIGIT_ONE && message[2] === SPACE;
}

export class StreamEnvelope {
  /**
   * @param senderId this process's id (16 hex digits)
   * @param secret when set, history messages are signed, and only signed ones are accepted
   */
  constructor(
    readonly senderId: string,
    private readonly secret: string | undefined,
  ) {}

  /** The header the append script puts before `<offset> <epoch>\n<data>` on `redisChannel`. */
  historyHeader(redisChannel: string, data: string): string {
    const unsigned = `${HISTORY} ${this.senderId}`;
    if (this.secret === undefined) return `${unsigned}\n`;
    return `${unsigned} ${this.mac(unsigned, redisChannel, Buffer.from(data)).toString('hex')}\n`;
  }

  /** What a message that `isStoredMessage` received on `redisChannel` carries, or why it is refused. */
  decode(redisChannel: Buffer, message: Buffer): StoredMessage | string {
    const headerEnd = message.indexOf(NEWLINE);
    if (headerEnd <= 0 || headerEnd > MAX_HEADER_BYTES) return 'no envelope header';
    const fields = message.toString('latin1', 0, headerEnd).split(' ');
    const [version, sender, mac] = fields;
    if (version !== HISTORY || !SENDER_ID.test(sender) || fields.length > 3) return 'malformed envelope header';
    const body = message.subarray(headerEnd + 1);
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
    return { position: { offset: Number(position[1]), epoch: position[2] }, data, own: sender === this.senderId };
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
