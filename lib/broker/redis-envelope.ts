import { Buffer } from 'node:buffer';
import { createHmac, timingSafeEqual } from 'node:crypto';

/**
 * The wire format of a publication on Redis, version 1:
 *
 *     v1 <senderId>\n<frame>                 without a secret
 *     v1 <senderId> <mac>\n<frame>           with a secret
 *
 * `senderId` is the publishing process's random id (16 lowercase hex digits), `frame` the `data`
 * frame as subscribers get it (compact JSON: it holds no raw newline, so the first newline ends the
 * header), and `mac` the lowercase hex HMAC-SHA256, keyed with the shared secret, of
 * `v1 <senderId>\n<redis channel>\n<frame>`: the Redis channel is covered, so a message cannot be
 * replayed on another channel or prefix.
 *
 * Version 0 (before the header had a version) is `<senderId>\n<frame>`; it is still read, so that
 * old and new instances can run side by side during a rolling upgrade, but only without a secret:
 * it cannot be authenticated.
 */
const VERSION = 'v1';
const SENDER_ID = /^[0-9a-f]{16}$/;
const MAC = /^[0-9a-f]{64}$/;
/** Longest header: `v1 `, the id, a space and the MAC. A newline further in means no header. */
const MAX_HEADER_BYTES = 3 + 16 + 1 + 64;
const NEWLINE = 0x0a;

/** Returned by `decode` for a message this process published itself. */
export const OWN_MESSAGE = Symbol('own message');

export class RedisEnvelope {
  private readonly header: Buffer;
  private readonly unsignedHeader: string;

  /**
   * @param senderId this process's id (16 hex digits)
   * @param secret when set, messages are signed, and only signed messages are accepted
   * @param maxMessageBytes larger messages are refused unread
   */
  constructor(
    readonly senderId: string,
    private readonly secret: string | undefined,
    readonly maxMessageBytes: number,
  ) {
    this.unsignedHeader = `${VERSION} ${senderId}`;
    this.header = Buffer.from(`${this.unsignedHeader}\n`);
  }

  /** The message to PUBLISH on `redisChannel` for `frame`. */
  encode(redisChannel: string, frame: Buffer): Buffer {
    const header =
      this.secret === undefined
        ? this.header
        : Buffer.from(`${this.unsignedHeader} ${this.mac(this.unsignedHeader, redisChannel, frame).toString('hex')}\n`);
    return Buffer.concat([header, frame], header.length + frame.length);
  }

  /**
   * The frame of a message received on `redisChannel`; `OWN_MESSAGE` for one of ours; otherwise
   * why it is refused. The frame itself is not checked here (see `readRemoteFrame`).
   */
  decode(redisChannel: Buffer, message: Buffer): Buffer | typeof OWN_MESSAGE | string {
    if (message.length > this.maxMessageBytes) return `larger than ${this.maxMessageBytes} bytes`;
    const newline = message.indexOf(NEWLINE);
    if (newline <= 0 || newline > MAX_HEADER_BYTES) return 'no envelope header';
    const fields = message.toString('latin1', 0, newline).split(' ');
    const frame = message.subarray(newline + 1);
    if (fields.length === 1) {
      // Version 0: `<senderId>\n<frame>`.
      if (!SENDER_ID.test(fields[0])) return 'no envelope header';
      if (fields[0] === this.senderId) return OWN_MESSAGE;
      return this.secret === undefined ? frame : 'unsigned (a secret is set)';
    }
    if (fields[0] !== VERSION) return `unknown envelope version '${fields[0].slice(0, 8)}'`;
    const [, sender, mac] = fields;
    if (fields.length > 3 || !SENDER_ID.test(sender)) return 'malformed envelope header';
    if (sender === this.senderId) return OWN_MESSAGE;
    if (this.secret === undefined) return frame;
    if (mac === undefined) return 'unsigned (a secret is set)';
    if (!MAC.test(mac)) return 'malformed signature';
    const expected = this.mac(`${VERSION} ${sender}`, redisChannel, frame);
    return timingSafeEqual(Buffer.from(mac, 'hex'), expected) ? frame : 'bad signature';
  }

  private mac(unsignedHeader: string, redisChannel: string | Buffer, frame: Buffer): Buffer {
    return createHmac('sha256', this.secret!)
      .update(unsignedHeader)
      .update('\n')
      .update(redisChannel)
      .update('\n')
      .update(frame)
      .digest();
  }
}
