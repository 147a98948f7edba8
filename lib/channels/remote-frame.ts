import { Buffer } from 'node:buffer';
import { isTooDeep } from '../protocol/parse-client-message.js';
import { dataFrame } from '../protocol/server-messages.js';

/**
 * Deepest `data` accepted from another instance. Without a bound of its own, the verdict on a deep
 * forged frame would be whatever JSON.stringify's stack allows: Node 20–24 overflow at a few thousand
 * levels and refused such a frame, Node 26 serializes it again and sent it on to clients. Far above
 * what an app publishes, so a real publication is never lost on the way.
 */
const REMOTE_MAX_DEPTH = 1000;

/** A publication from another instance, checked and serialized again. */
export interface RemoteFrame {
  readonly payload: unknown;
  readonly frame: Buffer;
}

/**
 * Reads what a peer (another instance, through the broker) says is a publication on `channel`: a
 * JSON object `{"type":"data","channel":channel[,"data":...]}` and nothing else. Anything else (not
 * JSON, another frame type such as a forged reply or error, another channel, extra keys) gives
 * undefined. The frame sent on is serialized again from what was parsed, so that no byte a peer
 * wrote reaches a client unchecked; `data` nested deeper than `REMOTE_MAX_DEPTH` gives undefined too.
 * Once per remote publication, not per subscriber.
 */
export function readRemoteFrame(channel: string, bytes: Buffer): RemoteFrame | undefined {
  let parsed: unknown;
  try {
    parsed = JSON.parse(bytes.toString('utf8'));
  } catch {
    return undefined;
  }
  if (typeof parsed !== 'object' || parsed === null || Array.isArray(parsed)) return undefined;
  const message = parsed as Record<string, unknown>;
  if (message.type !== 'data' || message.channel !== channel) return undefined;
  for (const key in message) {
    if (key !== 'type' && key !== 'channel' && key !== 'data') return undefined;
  }
  const payload = message.data;
  if (isTooDeep(payload, REMOTE_MAX_DEPTH)) return undefined;
  try {
    return { payload, frame: Buffer.from(dataFrame(channel, payload)) };
  } catch {
    return undefined; // nested deeper than JSON.stringify's stack allows
  }
}
