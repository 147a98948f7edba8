import { dataFrame } from '../protocol/server-messages.js';

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
 * wrote reaches a client unchecked. Once per remote publication, not per subscriber.
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
  try {
    return { payload, frame: Buffer.from(dataFrame(channel, payload)) };
  } catch {
    return undefined; // nested deeper than JSON.stringify's stack allows
  }
}
