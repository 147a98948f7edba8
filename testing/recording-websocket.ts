import WebSocket from 'ws';
import type { FrameLog } from './frame-log.js';

/** The constructor the client calls: `ws`'s, whose third argument carries a token sent as a header. */
export type RecordingWebSocketClass = new (
  url: string,
  protocols?: string | string[],
  options?: WebSocket.ClientOptions,
) => WebSocket;

/**
 * A `ws` WebSocket class for one test client: every frame in and out goes to its log, and the
 * socket in use is handed to `onSocket`, so that the kit can cut it or stop reading it (which no
 * WebSocket API of a browser can do, hence `ws`, the server package's own dependency).
 */
export function recordingWebSocket(log: FrameLog, onSocket: (socket: WebSocket) => void): RecordingWebSocketClass {
  return class RecordingWebSocket extends WebSocket {
    constructor(url: string, protocols?: string | string[], options?: WebSocket.ClientOptions) {
      super(url, protocols, options);
      onSocket(this);
      const send = this.send.bind(this) as (data: unknown, ...rest: unknown[]) => void;
      this.send = ((data: unknown, ...rest: unknown[]) => {
        log.add('out', String(data));
        send(data, ...rest);
      }) as WebSocket['send'];
      this.on('open', () => log.add('event', 'open'));
      this.on('message', (data: WebSocket.RawData) => log.add('in', rawText(data)));
      this.on('close', (code: number, reason: Buffer) =>
        log.add('event', `closed ${code} ${reason.toString()}`.trim()),
      );
    }
  };
}

/** A received frame as text (`ws` hands a Buffer, or fragments when asked for them). */
export function rawText(data: WebSocket.RawData): string {
  if (Array.isArray(data)) return Buffer.concat(data).toString();
  return Buffer.isBuffer(data) ? data.toString() : Buffer.from(data).toString();
}
