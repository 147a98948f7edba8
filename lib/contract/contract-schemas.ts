import type {
  AsyncApiChannel,
  AsyncApiDocument,
  AsyncApiMessage,
  AsyncApiReference,
  JsonSchema,
} from '../docs/asyncapi-document.js';

/** An action's part of the contract: the schema of the `data` it takes and of the reply's `data`. */
export interface ActionSchemas {
  data: JsonSchema;
  reply: JsonSchema;
}

/**
 * A channel's part of the contract: the schema of the subscribe message's `data` and of a
 * publication's; and, only on the channels that have them (so that other channels' entries, and the
 * hash, are as before issue 12): a pattern's parameters, history, presence.
 */
export interface ChannelSchemas {
  data: JsonSchema;
  payload: JsonSchema;
  /** `{ roomId: string }` for `rooms/:roomId`. */
  params?: JsonSchema;
  /** `true`: its publications carry offsets and a resubscribe recovers. */
  history?: JsonSchema;
  /** `{ info: unknown }`: what each member's `info` is (the app's `presence.info` function: not described). */
  presence?: JsonSchema;
}

/**
 * What a typed client needs of the app's handlers, read from its AsyncAPI document (so through the
 * one converter of lib/schema/, with the validator options the server validates with): each action's
 * and channel's schemas by wire name, and the DTO schemas they refer to.
 */
export interface ContractSchemas {
  actions: Record<string, ActionSchemas>;
  channels: Record<string, ChannelSchemas>;
  /** `components.schemas`: what `#/components/schemas/<name>` refers to. */
  components: Record<string, JsonSchema>;
}

/** The handlers' schemas of a document as the library builds it (docs/asyncapi.md, "Layout"). */
export function contractSchemasOf(document: AsyncApiDocument): ContractSchemas {
  const schemas: ContractSchemas = { actions: {}, channels: {}, components: document.components.schemas };
  for (const channel of Object.values(document.channels)) {
    const name = channel['x-socketapi-name'];
    const dataOf = (key: string) => frameData(channel.messages[key]);
    if (channel['x-socketapi-kind'] === 'action') {
      schemas.actions[name] = { data: dataOf('request'), reply: dataOf('reply') };
    } else {
      schemas.channels[name] = { data: dataOf('subscribe'), payload: dataOf('publication'), ...streamParts(channel) };
    }
  }
  return schemas;
}

const STRING: JsonSchema = { type: 'string' };

/** A channel's parameters, history and presence, from its address parameters and extensions. */
function streamParts(channel: AsyncApiChannel): Partial<ChannelSchemas> {
  const params = Object.keys(channel.parameters ?? {});
  return {
    ...(params.length > 0
      ? {
          params: {
            type: 'object',
            properties: Object.fromEntries(params.map((param) => [param, STRING])),
            required: params,
            additionalProperties: false,
          },
        }
      : {}),
    ...(channel['x-socketapi-history'] ? { history: { const: true } } : {}),
    ...(channel['x-socketapi-presence']
      ? { presence: { type: 'object', properties: { info: {} }, required: ['info'], additionalProperties: false } }
      : {}),
  };
}

/** The schema of a message's `data`: the handler's own part of the frame. */
function frameData(message: AsyncApiMessage | AsyncApiReference | undefined): JsonSchema {
  const payload = message && 'payload' in message ? message.payload : undefined;
  const properties = payload?.properties as Record<string, JsonSchema> | undefined;
  return properties?.data ?? {};
}
