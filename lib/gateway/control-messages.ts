import { Buffer } from 'node:buffer';
import type { UserConnectionInfo } from '../interfaces/connection-control.interface.js';

/**
 * The control messages between instances (`SocketApiConnections`), version c1: `c1 ` then one JSON
 * object. The transport authenticates them (see docs/control.md, "Security"); their content is checked
 * here all the same, since without a secret anyone who can publish on the broker writes them.
 *
 * Commands, to every instance: `close` (code, reason), `unsubscribe` (channel), `send` (channel, the
 * `data` frame), `list`; each with the user, the request id `req`, the sender `from` (where the answer
 * goes) and `at` (ms, the sender's clock). Answers, to the sender only: `done` (how many connections
 * the command acted on) and `listed` (the connections).
 */
const VERSION = 'c1 ';
const INSTANCE_ID = /^[0-9a-f]{16}$/;
/** Request ids are 32 hex digits (see `newRequestId`). */
const REQUEST_ID = /^[0-9a-f]{32}$/;
/** Longer user ids, channel names or reasons are not ours: a user id is a JWT `sub`, a reason ≤ 123 bytes. */
export const MAX_CONTROL_TEXT = 4096;

export type ControlCommand =
  | { op: 'close'; user: string; code: number; reason: string }
  | { op: 'unsubscribe'; user: string; channel: string }
  | { op: 'send'; user: string; channel: string; frame: string }
  | { op: 'list'; user: string };

export type ControlAnswer = { op: 'done'; count: number } | { op: 'listed'; connections: UserConnectionInfo[] };

/** Where a command comes from and what it answers. */
export interface Envelope {
  readonly req: string;
  readonly from: string;
  readonly at: number;
}

export type ControlMessage = (ControlCommand & Envelope) | (ControlAnswer & { req: string });

export function encodeControl(message: ControlMessage): Buffer {
  return Buffer.from(VERSION + JSON.stringify(message));
}

/** The message `bytes` carry, or undefined when they are not a well-formed c1 message. */
export function decodeControl(bytes: Buffer): ControlMessage | undefined {
  if (bytes.length < VERSION.length || bytes.toString('latin1', 0, VERSION.length) !== VERSION) return undefined;
  let parsed: unknown;
  try {
    parsed = JSON.parse(bytes.toString('utf8', VERSION.length));
  } catch {
    return undefined;
  }
  if (!isRecord(parsed)) return undefined;
  const message = parsed;
  const req = message.req;
  if (!isText(req) || !REQUEST_ID.test(req)) return undefined;
  switch (message.op) {
    case 'done':
      return isCount(message.count) ? { op: 'done', req, count: message.count } : undefined;
    case 'listed':
      return Array.isArray(message.connections) && message.connections.every(isConnectionInfo)
        ? { op: 'listed', req, connections: message.connections.map(knownFields) }
        : undefined;
  }
  if (!isText(message.user) || !isText(message.from) || !INSTANCE_ID.test(message.from)) return undefined;
  if (typeof message.at !== 'number' || !Number.isFinite(message.at)) return undefined;
  const envelope = { req, from: message.from, at: message.at, user: message.user };
  switch (message.op) {
    case 'close':
      return isCloseCode(message.code) && isText(message.reason) && Buffer.byteLength(message.reason) <= 123
        ? { op: 'close', ...envelope, code: message.code, reason: message.reason }
        : undefined;
    case 'unsubscribe':
      return isText(message.channel) ? { op: 'unsubscribe', ...envelope, channel: message.channel } : undefined;
    case 'send':
      return isText(message.channel) && typeof message.frame === 'string'
        ? { op: 'send', ...envelope, channel: message.channel, frame: message.frame }
        : undefined;
    case 'list':
      return { op: 'list', ...envelope };
    default:
      return undefined;
  }
}

/**
 * The close codes `closeUser` may send: 1000, 1001, 1008, 1011, 1013 (standard ones a server sends), and
 * 3000–4999 (registered and private ones). ws refuses the others, and a client could not tell them apart.
 */
export function isCloseCode(code: unknown): code is number {
  if (!Number.isInteger(code)) return false;
  const value = code as number;
  return [1000, 1001, 1008, 1011, 1013].includes(value) || (value >= 3000 && value <= 4999);
}

function isRecord(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

function isText(value: unknown): value is string {
  return typeof value === 'string' && value.length <= MAX_CONTROL_TEXT;
}

function isCount(value: unknown): value is number {
  return Number.isSafeInteger(value) && (value as number) >= 0;
}

function isConnectionInfo(value: unknown): value is UserConnectionInfo {
  if (!isRecord(value)) return false;
  const { id, instance, connectedAt, subscriptions, clientAddress, expiresAt } = value;
  return (
    isText(id) &&
    isText(instance) &&
    typeof connectedAt === 'number' &&
    Array.isArray(subscriptions) &&
    subscriptions.every(isText) &&
    (clientAddress === undefined || isText(clientAddress)) &&
    (expiresAt === undefined || typeof expiresAt === 'number')
  );
}

/** Only the fields of a connection's description: a peer's extra keys go no further. */
function knownFields(info: UserConnectionInfo): UserConnectionInfo {
  const { id, instance, connectedAt, subscriptions, clientAddress, expiresAt } = info;
  return {
    id,
    instance,
    connectedAt,
    subscriptions: [...subscriptions],
    ...(clientAddress === undefined ? {} : { clientAddress }),
    ...(expiresAt === undefined ? {} : { expiresAt }),
  };
}
