import { CloseCode } from '../protocol/close-codes.js';
import { ErrorCode } from '../protocol/error-codes.js';
import { HandshakeRefusal } from '../protocol/socket-api.messages.js';

/*
 * The fixed label values of the metrics: every series is known before the first client, and nothing
 * a client sends (a channel name, an action name, a close code, an error code) can add one.
 */

/** Frames received, by the `type` the router read; `invalid` for a frame that is not a valid message. */
export const FRAME_IN_TYPES = [
  'action',
  'subscribe',
  'unsubscribe',
  'ping',
  'auth',
  'contract',
  'presence',
  'invalid',
] as const;
type FrameInType = (typeof FRAME_IN_TYPES)[number];
/** The index of each type in the counters' arrays (an object lookup on a constant shape, no Map). */
export const FRAME_IN_INDEX = Object.fromEntries(FRAME_IN_TYPES.map((type, index) => [type, index])) as Record<
  FrameInType,
  number
>;

/** Frames sent, by type: the server frames of PROTOCOL.md, `message` for the app's own (`connection.send`). */
export const FRAME_OUT_TYPES = [
  'action',
  'subscribed',
  'unsubscribed',
  'data',
  'error',
  'pong',
  'auth',
  'contract',
  'presence',
  'join',
  'leave',
  'message',
  'other',
] as const;
export type FrameOutType = (typeof FRAME_OUT_TYPES)[number];
export const FRAME_OUT_INDEX = Object.fromEntries(FRAME_OUT_TYPES.map((type, index) => [type, index])) as Record<
  FrameOutType,
  number
>;

/** The library's error codes, then `other` for any code of the app's own exceptions. */
export const ERROR_CODES = [...Object.values(ErrorCode), 'other'] as const;
export const OTHER_ERROR_INDEX = ERROR_CODES.length - 1;
export const ERROR_CODE_INDEX = new Map<string, number>(Object.values(ErrorCode).map((code, index) => [code, index]));

/**
 * Close codes counted by their number: those the server sends, and 1005 (the client gave none) and
 * 1006 (the connection dropped without a close frame); any other (a client may send 3000–4999) is `other`.
 */
export const CLOSE_CODES = [...Object.values(CloseCode), 1005, 1006].sort((a, b) => a - b);
export const CLOSE_CODE_LABELS = [...CLOSE_CODES.map(String), 'other'];
export const OTHER_CLOSE_INDEX = CLOSE_CODES.length;

/** Why a WebSocket upgrade was refused. `error`: what `auth` or a guard threw (its own status, or 500). */
export const REFUSAL_REASONS = [
  'shutting_down',
  'origin_not_allowed',
  'too_many_connections',
  'too_many_from_address',
  'handshake_timeout',
  'unauthorized',
  'forbidden',
  'error',
] as const;
export const OTHER_REFUSAL_INDEX = REFUSAL_REASONS.length - 1;
/** The reason of a refusal, from the fixed message the verifier gives it (an `HttpException`'s own message is `error`). */
export const REFUSAL_INDEX = new Map<string, number>([
  [HandshakeRefusal.shuttingDown, 0],
  [HandshakeRefusal.originNotAllowed, 1],
  [HandshakeRefusal.tooManyConnections, 2],
  [HandshakeRefusal.tooManyFromAddress, 3],
  [HandshakeRefusal.timedOut, 4],
  [HandshakeRefusal.unauthorized, 5],
  [HandshakeRefusal.forbidden, 6],
]);

/** An action's outcome: its reply was sent, or an error frame was. */
export const ACTION_OUTCOMES = ['completed', 'error'] as const;

/**
 * Upper bounds (seconds) of the action duration histogram: from half a millisecond (an action that
 * awaits nothing) to 10 s (one that waits on a slow service).
 */
export const ACTION_DURATION_BUCKETS = [0.0005, 0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10];
