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
    properties: { type: { type: 'string', const: type }, channel: { type: 'string', const: name }, ...properties },
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
