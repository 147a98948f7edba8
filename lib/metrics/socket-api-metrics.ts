import { Buffer } from 'node:buffer';
import {
  CLOSE_CODES,
  ERROR_CODE_INDEX,
  ERROR_CODES,
  FRAME_IN_INDEX,
  FRAME_IN_TYPES,
  FRAME_OUT_INDEX,
  FRAME_OUT_TYPES,
  OTHER_CLOSE_INDEX,
  OTHER_ERROR_INDEX,
  OTHER_REFUSAL_INDEX,
  REFUSAL_INDEX,
  REFUSAL_REASONS,
} from './metric-labels.js';
import { ActionDurations } from './action-durations.js';
import { ActionTimer } from './action-timer.js';
import type { ClientMessageType, ReceivedMessage } from '../protocol/messages.js';

/** Injection token of the server's `SocketApiMetrics`: `null` when metrics are off. */
export const SOCKET_API_METRICS = Symbol('SOCKET_API_METRICS');

/** `{"type":"`: every server frame starts so; its type begins at this index. */
const TYPE_AT = 9;
/** `{"type":"error","code":"`: an error frame's code begins here (`code` is the payload's first key). */
const ERROR_CODE_AT = 24;
const QUOTE = 0x22;

/**
 * The counts the server keeps while metrics are on: plain numbers bumped on the hot path (a few
 * nanoseconds each), read by the Prometheus metrics only when they are scraped. Calling prom-client
 * on every frame would cost about a microsecond a call (18–20 % of the server's CPU in the rpc
 * benchmark). With metrics off there is no instance: the server's parts hold `null` and check it.
 */
export class SocketApiMetrics {
  connectionsOpened = 0;
  connectionsClosed = 0;
  readonly refused = new Float64Array(REFUSAL_REASONS.length);
  readonly framesIn = new Float64Array(FRAME_IN_TYPES.length);
  readonly bytesIn = new Float64Array(FRAME_IN_TYPES.length);
  readonly framesOut = new Float64Array(FRAME_OUT_TYPES.length);
  readonly bytesOut = new Float64Array(FRAME_OUT_TYPES.length);
  readonly errorsSent = new Float64Array(ERROR_CODES.length);
  readonly closes = new Float64Array(CLOSE_CODES.length + 1);
  slowConsumers = 0;
  recovered = 0;
  notRecovered = 0;
  /** By declared action name, each made as its action is registered (an unknown name is an `ACTION_NOT_FOUND` error). */
  readonly actions = new Map<string, ActionDurations>();
  /** What times the actions. */
  readonly timer = new ActionTimer();

  /** A refused WebSocket upgrade, by the message the verifier refused it with. */
  refusedUpgrade(message: string | undefined): void {
    const index = message === undefined ? undefined : REFUSAL_INDEX.get(message);
    this.refused[index ?? OTHER_REFUSAL_INDEX]++;
  }

  /** A message received; any but an action's ends the run of actions being timed (see `ActionTimer`). */
  frameIn(message: ReceivedMessage, bytes: number): void {
    const index = frameInIndex(message.type);
    this.framesIn[index]++;
    this.bytesIn[index] += bytes;
    if (index !== FRAME_IN_INDEX.action) this.timer.cut();
  }

  /** A frame that is not a valid message. */
  invalidFrameIn(bytes: number): void {
    this.framesIn[FRAME_IN_INDEX.invalid]++;
    this.bytesIn[FRAME_IN_INDEX.invalid] += bytes;
    this.timer.cut();
  }

  /** A declared action's handling begins. */
  actionStarted(message: ReceivedMessage, durations: ActionDurations): void {
    this.timer.started(message, durations);
  }

  /** A declared action answered (`outcome` 0: its reply, 1: an error frame). */
  actionEnded(message: ReceivedMessage, durations: ActionDurations, outcome: 0 | 1): void {
    this.timer.ended(message, durations, outcome);
  }

  /** A server frame (see `server-messages.ts`): its type read from its first bytes, its error code if it is an error. */
  frameOut(frame: string | Buffer): void {
    let index: number;
    let bytes: number;
    if (typeof frame === 'string') {
      // Only a frame sent behind others (see `WsConnection.encode`). Measured first: a string still
      // made of concatenated parts is flattened by it, and its characters then read without a call
      // into the runtime.
      bytes = Buffer.byteLength(frame);
      index = OUT_TYPE_BY_SUM[frame.charCodeAt(TYPE_AT) + frame.charCodeAt(TYPE_AT + 1)];
    } else {
      bytes = frame.length;
      index = OUT_TYPE_BY_SUM[frame[TYPE_AT] + frame[TYPE_AT + 1]];
    }
    this.framesOut[index]++;
    this.bytesOut[index] += bytes;
    if (index === FRAME_OUT_INDEX.error) this.errorsSent[errorCodeIndex(frame)]++;
  }

  /** A message of the app's own (`connection.send`). */
  messageOut(frame: string | Buffer): void {
    this.framesOut[FRAME_OUT_INDEX.message]++;
    this.bytesOut[FRAME_OUT_INDEX.message] += typeof frame === 'string' ? Buffer.byteLength(frame) : frame.length;
  }

  closed(code: number): void {
    const index = CLOSE_CODES.indexOf(code);
    this.closes[index === -1 ? OTHER_CLOSE_INDEX : index]++;
  }

  recovery(recovered: boolean): void {
    if (recovered) this.recovered++;
    else this.notRecovered++;
  }

  /** The histogram of a declared action, which the registry keeps beside it (no lookup per action). */
  durationsOf(action: string): ActionDurations {
    let durations = this.actions.get(action);
    if (!durations) {
      durations = new ActionDurations();
      this.actions.set(action, durations);
    }
    return durations;
  }
}

/** A switch, not `FRAME_IN_INDEX[type]`: a keyed load by a string that varies is a megamorphic lookup. */
function frameInIndex(type: ClientMessageType): number {
  switch (type) {
    case 'action':
      return FRAME_IN_INDEX.action;
    case 'subscribe':
      return FRAME_IN_INDEX.subscribe;
    case 'unsubscribe':
      return FRAME_IN_INDEX.unsubscribe;
    case 'ping':
      return FRAME_IN_INDEX.ping;
    case 'auth':
      return FRAME_IN_INDEX.auth;
    case 'contract':
      return FRAME_IN_INDEX.contract;
    case 'presence':
      return FRAME_IN_INDEX.presence;
  }
}

/**
 * The type of a server frame by the sum of the codes of its type's first two characters, which tell
 * the types apart: a table read, where a switch would be compares and branches on every frame.
 */
const OUT_TYPE_BY_SUM = outTypeTable();

function outTypeTable(): Uint8Array {
  const table = new Uint8Array(2 * 0x100).fill(FRAME_OUT_INDEX.other);
  const taken = new Map<number, string>();
  for (const type of FRAME_OUT_TYPES) {
    if (type === 'message' || type === 'other') continue; // not a server frame's own type
    const sum = type.charCodeAt(0) + type.charCodeAt(1);
    const other = taken.get(sum);
    if (other !== undefined) throw new Error(`Frame types ${other} and ${type} share their first characters' sum`);
    taken.set(sum, type);
    table[sum] = FRAME_OUT_INDEX[type];
  }
  return table;
}

function errorCodeIndex(frame: string | Buffer): number {
  let code: string;
  if (typeof frame === 'string') {
    const end = frame.indexOf('"', ERROR_CODE_AT);
    if (end === -1) return OTHER_ERROR_INDEX;
    code = frame.slice(ERROR_CODE_AT, end);
  } else {
    const end = frame.indexOf(QUOTE, ERROR_CODE_AT);
    if (end === -1) return OTHER_ERROR_INDEX;
    code = frame.toString('latin1', ERROR_CODE_AT, end);
  }
  return ERROR_CODE_INDEX.get(code) ?? OTHER_ERROR_INDEX;
}
