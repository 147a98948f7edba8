import type { AsyncApiDocument, AsyncApiMessage, AsyncApiReference, JsonSchema } from '../docs/asyncapi-document.js';

/** An action's part of the contract: the schema of the `data` it takes and of the reply's `data`. */
export interface ActionSchemas {
  data: JsonSchema;
  reply: JsonSchema;
}

/** A channel's part of the contract: the schema of the subscribe message's `data` and of a publication's. */
export interface ChannelSchemas {
  data: JsonSchema;
  payload: JsonSchema;
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
      schemas.channels[name] = { data: dataOf('subscribe'), payload: dataOf('publication') };
    }
  }
  return schemas;
}

/** The schema of a message's `data`: the handler's own part of the frame. */
function frameData(message: AsyncApiMessage | AsyncApiReference | undefined): JsonSchema {
  const payload = message && 'payload' in message ? message.payload : undefined;
  const properties = payload?.properties as Record<string, JsonSchema> | undefined;
  return properties?.data ?? {};
}
