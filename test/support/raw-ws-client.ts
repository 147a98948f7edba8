import { randomBytes } from 'node:crypto';
import { connect, type Socket } from 'node:net';
import { Wakeups, type WaitOptions } from './wait.js';

const CONTINUATION = 0x0;
const TEXT = 0x1;
const CLOSE = 0x8;

/**
 * A WebSocket client written by hand over TCP that never answers the server's close frame (nor its
 * pings): a peer that ignores the closing handshake and keeps sending. Records what the server sent
 * and when it cut the TCP connection.
 */
export class RawClient {
  /** Text frames received, parsed as JSON. */
  readonly frames: unknown[] = [];
  /** Text frames received after the server's close frame. */
  readonly framesAfterClose: unknown[] = [];
  closeCode?: number;
  closeFrameAt?: number;
  tcpClosedAt?: number;
  private received = Buffer.alloc(0);
  private readonly wakeups = new Wakeups();

  private constructor(private readonly socket: Socket) {
    socket.on('data', (chunk: Buffer) => this.read(chunk));
    socket.on('close', () => {
      this.tcpClosedAt = Date.now();
      this.wakeups.wake();
    });
    // Writes after the server cut the connection fail; that is what the tests expect.
    socket.on('error', () => undefined);
  }

  /** Opens `ws://host:port/path` with a handshake written by hand. */
  static open(url: string): Promise<RawClient> {
    const { hostname, port, pathname } = new URL(url);
    return new Promise((resolve, reject) => {
      const socket = connect(Number(port), hostname);
      let head = Buffer.alloc(0);
      const onData = (chunk: Buffer) => {
        head = Buffer.concat([head, chunk]);
        const end = head.indexOf('\r\n\r\n');
        if (end < 0) return;
        socket.off('data', onData);
        const status = head.subarray(0, head.indexOf('\r\n')).toString();
        if (!status.includes(' 101 ')) return reject(new Error(`handshake refused: ${status}`));
        const client = new RawClient(socket);
        const rest = head.subarray(end + 4);
        if (rest.length > 0) client.read(rest);
        resolve(client);
      };
      socket.on('data', onData);
      socket.once('error', reject);
      socket.once('connect', () => {
        socket.write(
          `GET ${pathname} HTTP/1.1\r\nHost: ${hostname}:${port}\r\nUpgrade: websocket\r\nConnection: Upgrade\r\n` +
            `Sec-WebSocket-Key: ${randomBytes(16).toString('base64')}\r\nSec-WebSocket-Version: 13\r\n\r\n`,
        );
      });
    });
  }

  /** Bytes written to TCP so far, handshake included. */
  get bytesWritten(): number {
    return this.socket.bytesWritten;
  }

  get tcpClosed(): boolean {
    return this.tcpClosedAt !== undefined;
  }

  /** Sends a text frame (masked, as a client must), even after the server's close frame. */
  send(message: unknown): void {
    void this.sendFrame(textFrame(Buffer.from(typeof message === 'string' ? message : JSON.stringify(message))));
  }

  /** Sends a frame made by `textFrame`: one can be sent many times. Resolves when TCP took it. */
  sendFrame(frame: Buffer): Promise<void> {
    if (this.socket.destroyed) return Promise.resolve();
    return new Promise((resolve) => this.socket.write(frame, () => resolve()));
  }

  /** Stops reading: what the server sends piles up in its buffers, as with a client that does not read. */
  pause(): void {
    this.socket.pause();
  }

  /** Waits until `condition` holds, checked on each chunk received and on the TCP close. */
  waitFor(condition: () => boolean, options: WaitOptions = {}): Promise<void> {
    return this.wakeups.until(condition, { detail: () => `have ${JSON.stringify(this.frames)}`, ...options });
  }

  destroy(): void {
    this.socket.destroy();
  }

  private read(chunk: Buffer): void {
    this.received = Buffer.concat([this.received, chunk]);
    for (;;) {
      const frame = parseServerFrame(this.received);
      if (!frame) break;
      this.received = this.received.subarray(frame.length);
      if (frame.opcode === TEXT) {
        const message: unknown = JSON.parse(frame.payload.toString());
        (this.closeCode === undefined ? this.frames : this.framesAfterClose).push(message);
      } else if (frame.opcode === CLOSE && this.closeCode === undefined) {
        this.closeCode = frame.payload.length >= 2 ? frame.payload.readUInt16BE(0) : 1005;
        this.closeFrameAt = Date.now();
      }
    }
    this.wakeups.wake();
  }
}

/** A masked text frame, as a client sends it. */
export function textFrame(payload: Buffer): Buffer {
  return maskedFrame(payload, TEXT, true);
}

/** One text message sent as `pieces` fragments (a text frame, then continuation frames). */
export function fragmentedTextFrames(payload: Buffer, pieces: number): Buffer {
  const size = Math.ceil(payload.length / pieces);
  const frames: Buffer[] = [];
  for (let start = 0; start < payload.length; start += size) {
    const last = start + size >= payload.length;
    frames.push(maskedFrame(payload.subarray(start, start + size), start === 0 ? TEXT : CONTINUATION, last));
  }
  return Buffer.concat(frames);
}

function maskedFrame(payload: Buffer, opcode: number, fin: boolean): Buffer {
  const length = payload.length;
  const sizeBytes = length < 126 ? 0 : length < 65_536 ? 2 : 8;
  const header = Buffer.alloc(2 + sizeBytes + 4);
  header[0] = (fin ? 0x80 : 0) | opcode;
  header[1] = 0x80 | (sizeBytes === 0 ? length : sizeBytes === 2 ? 126 : 127);
  if (sizeBytes === 2) header.writeUInt16BE(length, 2);
  if (sizeBytes === 8) header.writeBigUInt64BE(BigInt(length), 2);
  const mask = randomBytes(4);
  mask.copy(header, 2 + sizeBytes);
  const masked = Buffer.alloc(length);
  for (let i = 0; i < length; i++) masked[i] = payload[i] ^ mask[i & 3];
  return Buffer.concat([header, masked]);
}

/** One unmasked frame from the start of `data`, or undefined while it is incomplete. */
function parseServerFrame(data: Buffer): { opcode: number; payload: Buffer; length: number } | undefined {
  if (data.length < 2) return undefined;
  let length = data[1] & 0x7f;
  let offset = 2;
  if (length === 126) {
    if (data.length < 4) return undefined;
    length = data.readUInt16BE(2);
    offset = 4;
  } else if (length === 127) {
    if (data.length < 10) return undefined;
    length = Number(data.readBigUInt64BE(2));
    offset = 10;
  }
  if (data.length < offset + length) return undefined;
  return { opcode: data[0] & 0x0f, payload: data.subarray(offset, offset + length), length: offset + length };
}
