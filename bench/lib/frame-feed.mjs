// Frames fed straight to an app's InboundQueue, as bench/frame-path.mjs and bench/option-cost.mjs
// do: a connection on a stub socket (no `ws`, no network) and frames as ws hands them over.
import { WsConnection } from '../../dist/lib/gateway/ws-connection.js';

/**
 * A connection whose socket only counts what is sent to it (`replies.sent`); `metrics`: the app's
 * `SocketApiMetrics` when the module counts (null: off).
 */
export function stubConnection(metrics = null) {
  const replies = { sent: 0, bytes: 0 };
  const socket = {
    readyState: 1,
    bufferedAmount: 0,
    // ws measures a string's UTF-8 length before it writes it (which flattens a concatenated one).
    send(frame) {
      replies.sent++;
      replies.bytes += typeof frame === 'string' ? Buffer.byteLength(frame) : frame.length;
    },
  };
  const request = { headers: { host: 'localhost' }, url: '/', socket: { remoteAddress: '127.0.0.1' } };
  const connection = new WsConnection(
    socket,
    request,
    { maxBufferedBytes: 1 << 30, metrics, closing() {} },
    '127.0.0.1',
  );
  return { connection, replies };
}

/** 4096 frames of `template` (`$ID` and `$A` filled in): views into a larger read buffer, as ws gives them. */
export function framesOf(template) {
  const frames = [];
  for (let i = 0; i < 4096; i++) {
    const text = template.replace('$ID', String(i + 1)).replace('$A', String(i & 1023));
    const chunk = Buffer.alloc(1024);
    chunk.write(text, 64);
    frames.push(chunk.subarray(64, 64 + Buffer.byteLength(text)));
  }
  return frames;
}
