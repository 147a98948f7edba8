import { documentedChannelName } from './asyncapi-channel-name.js';
import type { JsonSchema } from './asyncapi-document.js';

/**
 * The JSON Schemas of whole frames (PROTOCOL.md, "Client → server" and "Server → client"): a
 * message's payload in the document is the frame as on the wire, and the handler's own part is
 * under `properties.data`, so that tools validate exactly what they send and receive.
 */

/** `id`: chosen by the client, echoed on every reply and error that the message causes. */
export const MESSAGE_ID_SCHEMA: JsonSchema = {
  type: ['string', 'number'],
  description: 'Chosen by the client; echoed on every reply and error that this message causes.',
};

/** Where a client message and its reply or error are matched. */
export const CORRELATION_ID = {
  location: '$message.payload#/id',
  description: 'The `id` of the client message, echoed on its reply or error.',
};

/** A handler's `data` schema, and whether a frame must carry `data` (see `DocumentSchemas.dataOf`). */
export interface FrameData {
  schema: JsonSchema;
  required: boolean;
}

function frame(
  type: string,
  name: string,
  properties: Record<string, JsonSchema>,
  required: string[] = [],
): JsonSchema {
  return {
    type: 'object',
    required: ['type', 'channel', ...required],
    properties: {
      type: { type: 'string', const: type },
      // Actions have no patterns: their names are exact, whatever characters they hold.
      channel: type === 'action' ? { type: 'string', const: name } : documentedChannelName(name).schema,
      ...properties,
    },
  };
}

/**
 * `{"type":"action","channel":name,"data":{...},"id":I}`, or `subscribe` alike (its `data` goes to the
 * channel method); a missing `data` is `{}`.
 */
export function requestFrame(type: 'action' | 'subscribe', name: string, data: FrameData): JsonSchema {
  const properties = {
    data: describe(data.schema, 'The parameters; a missing `data` is `{}`.'),
    id: MESSAGE_ID_SCHEMA,
  };
  return frame(type, name, properties, data.required ? ['data'] : []);
}

/** `{"type":"action","channel":name,"status":"completed","data":R,"id":I}`; `data` left out when the handler gave `null`/`undefined`. */
export function actionReplyFrame(name: string, data: JsonSchema): JsonSchema {
  const properties = {
    status: { type: 'string', const: 'completed' },
    data: describe(data, "The handler's result; left out when it is `null` or `undefined`."),
    id: MESSAGE_ID_SCHEMA,
  };
  return frame('action', name, properties, ['status']);
}

/** `subscribed`, `unsubscribe` and `unsubscribed`: the channel's name and the `id`, nothing else. */
export function channelFrame(type: 'subscribed' | 'unsubscribe' | 'unsubscribed', name: string): JsonSchema {
  return frame(type, name, { id: MESSAGE_ID_SCHEMA });
}

/** `{"type":"data","channel":name,"data":P}`: a publication, or the initial data after `subscribed`. */
export function dataFrame(name: string, data: JsonSchema): JsonSchema {
  return frame('data', name, {
    data: describe(data, 'What the channel method returned; left out when `null` or `undefined`.'),
  });
}

// issue 12: history and presence frames (PROTOCOL.md, "History and recovery", "Presence").

/** A publication's offset in its channel's history: +1 per publication. */
const OFFSET_SCHEMA: JsonSchema = { type: 'integer', minimum: 0 };
/** The history's epoch: changes when the history was lost. */
const EPOCH_SCHEMA: JsonSchema = { type: 'string', minLength: 1, maxLength: 64 };

/** A `subscribe` of a channel with history: `recover` asks for the publications after a position. */
export function withRecover(subscribe: JsonSchema): JsonSchema {
  return addProperties(subscribe, {
    recover: {
      type: 'object',
      description:
        'The last offset and epoch received: the publications after it are replayed, or `recovered` is false.',
      required: ['offset', 'epoch'],
      properties: { offset: OFFSET_SCHEMA, epoch: EPOCH_SCHEMA },
    },
  });
}

/**
 * `subscribed` of a channel with history: the top and the epoch, and `recovered` answering a
 * `recover`; without `id`, the server telling a live subscriber its stream broke (`false`) or has an
 * epoch now (`true`).
 */
export function withStreamPosition(subscribed: JsonSchema): JsonSchema {
  return addProperties(subscribed, {
    offset: {
      ...OFFSET_SCHEMA,
      description: 'The offset of the last publication (0: none yet); later ones are above it.',
    },
    epoch: EPOCH_SCHEMA,
    recovered: {
      type: 'boolean',
      description: 'Answering `recover`: whether every missed publication follows (false: none is replayed).',
    },
  });
}

/** A publication of a channel with history carries its offset (the initial data frame never does). */
export function withOffset(data: JsonSchema, required: boolean): JsonSchema {
  const offset = {
    ...OFFSET_SCHEMA,
    description: required ? "The publication's offset." : "The publication's offset; absent on the initial data frame.",
  };
  return addProperties(data, { offset }, required ? ['offset'] : []);
}

/** A member of a presence channel: its connection's `clientId` and what the app exposes of it. */
const MEMBER_SCHEMA: JsonSchema = {
  type: 'object',
  required: ['clientId'],
  properties: {
    clientId: { type: 'string', description: "The connection's id." },
    info: { description: "What the channel's `presence.info` exposes; absent when it exposes nothing." },
  },
};

/** `{"type":"presence","channel":N,"id":I}`: who is subscribed (the asker must be). */
export function presenceRequestFrame(name: string): JsonSchema {
  return frame('presence', name, { id: MESSAGE_ID_SCHEMA });
}

/** `{"type":"presence","channel":N,"data":[member…],"id":I}`. */
export function presenceReplyFrame(name: string): JsonSchema {
  return frame('presence', name, { data: { type: 'array', items: MEMBER_SCHEMA }, id: MESSAGE_ID_SCHEMA }, ['data']);
}

/** `{"type":"join"|"leave","channel":N,"data":member}`, to the other subscribers. */
export function presenceEventFrame(type: 'join' | 'leave', name: string): JsonSchema {
  return frame(type, name, { data: MEMBER_SCHEMA }, ['data']);
}

function addProperties(
  schema: JsonSchema,
  properties: Record<string, JsonSchema>,
  required: string[] = [],
): JsonSchema {
  return {
    ...schema,
    required: [...((schema.required as string[] | undefined) ?? []), ...required],
    properties: { ...(schema.properties as Record<string, JsonSchema>), ...properties },
  };
}

/** `{"type":"error","code":C,"message":M,"channel":N,"id":I,"errors":[...]}`. */
export function errorFrame(codes: readonly string[], applicationCodes: string): JsonSchema {
  return {
    type: 'object',
    required: ['type', 'code', 'message'],
    properties: {
      type: { type: 'string', const: 'error' },
      code: {
        type: 'string',
        anyOf: [
          { enum: [...codes], description: "The library's codes (see `x-socketapi-error-codes`)." },
          { type: 'string', description: applicationCodes },
        ],
      },
      message: { type: 'string' },
      channel: { type: 'string', description: "The failing message's `channel`, when it had one." },
      id: MESSAGE_ID_SCHEMA,
      errors: {
        type: 'array',
        description: 'Validation failures (`VALIDATION_ERROR`): one entry per failing property.',
        items: {
          type: 'object',
          required: ['path', 'messages'],
          properties: {
            path: { type: 'string', description: 'Dotted from the top of `data` (`user.address.zipcode`).' },
            messages: { type: 'array', items: { type: 'string' } },
          },
        },
      },
    },
  };
}

/**
 * The schema with a description of its place in the frame, unless it has one of its own or is a
 * `$ref` (whose siblings draft-07 ignores: tools read the `$ref` alone).
 */
function describe(schema: JsonSchema, description: string): JsonSchema {
  return 'description' in schema || '$ref' in schema ? schema : { ...schema, description };
}
