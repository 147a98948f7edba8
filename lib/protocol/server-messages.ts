import type { ErrorPayload, MessageId } from './messages.js';

/**
 * Serializers for every server → client frame of PROTOCOL.md. `data` must already be plain JSON
 * (see `toPlain`); `undefined` and `null` leave the `data` key out, every other value is sent.
 */
export function actionReply(channel: string, data: unknown, id: MessageId | undefined): string {
  return JSON.stringify({ type: 'action', channel, status: 'completed', data: data ?? undefined, id });
}

export function subscribedReply(channel: string, id: MessageId | undefined): string {
  return JSON.stringify({ type: 'subscribed', channel, id });
}

export function unsubscribedReply(channel: string, id: MessageId | undefined): string {
  return JSON.stringify({ type: 'unsubscribed', channel, id });
}

export function pongReply(id: MessageId | undefined): string {
  return JSON.stringify({ type: 'pong', id });
}

export function dataFrame(channel: string, data: unknown): string {
  return JSON.stringify({ type: 'data', channel, data: data ?? undefined });
}

export function errorFrame(error: ErrorPayload): string {
  return JSON.stringify({ type: 'error', ...error });
}
