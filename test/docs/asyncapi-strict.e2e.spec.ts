import 'reflect-metadata';
import {
  createSocketApiDocument,
  SocketApiModule,
  type AsyncApiDocument,
  type AsyncApiMessage,
} from '../../lib/index.js';
import type { JsonSchema } from '../../lib/schema/json-schema.js';
import { StrictInputService } from '../fixtures/strict-input-app.js';
import { useCleanup } from '../support/cleanup.js';
import { startApp } from '../support/test-app.js';
import { resolve } from './asyncapi-invariants.js';

/** The `data` schema of a handler's client message, `$ref`s followed. */
function dataOf(document: AsyncApiDocument, kind: 'action' | 'subscribe', name: string): JsonSchema {
  const operation = Object.values(document.operations).find(
    (candidate) => candidate['x-socketapi-kind'] === kind && candidate['x-socketapi-name'] === name,
  );
  const message = resolve(document, operation!.messages[0].$ref) as AsyncApiMessage;
  return (message.payload.properties as Record<string, JsonSchema>).data;
}

/** The component a `$ref` (or an `anyOf` holding one, as a nested DTO's schema is) names. */
function component(document: AsyncApiDocument, schema: JsonSchema): JsonSchema {
  const refs = JSON.stringify(schema).match(/"#\/components\/schemas\/[^"/]+"/);
  return resolve(document, JSON.parse(refs![0]) as string) as JsonSchema;
}

/** The schema of a DTO's property: its `definitions` entry when nested (item or array of items). */
function property(document: AsyncApiDocument, dto: JsonSchema, name: string): JsonSchema {
  return component(document, (dto.properties as Record<string, JsonSchema>)[name]);
}

/** Order → Level2 → Level3 → Level4 → Leaf, and Order's open Labels. */
function levels(document: AsyncApiDocument, data: JsonSchema) {
  const order = component(document, data);
  const two = property(document, order, 'two');
  const three = property(document, two, 'grid');
  const four = property(document, three, 'four');
  const leaf = property(document, four, 'leaves');
  const labels = property(document, order, 'labels');
  return { order, two, three, four, leaf, labels };
}

describe('AsyncAPI under strict input', () => {
  const cleanup = useCleanup();

  async function documentOf(strictInput: boolean): Promise<AsyncApiDocument> {
    const t = cleanup.track(
      await startApp({
        imports: [SocketApiModule.forRoot({ heartbeat: false, validation: { strictInput } })],
        providers: [StrictInputService],
      }),
    );
    return createSocketApiDocument(t.app);
  }

  it('a strict handler: additionalProperties: false at every DTO level, not on an @OpenObject() DTO nor a free-form map', async () => {
    const document = await documentOf(true);
    const { order, two, three, four, leaf, labels } = levels(document, dataOf(document, 'action', 'place'));
    for (const dto of [order, two, three, four, leaf]) expect(dto.additionalProperties).toBe(false);
    expect(labels.additionalProperties).toBeUndefined();
    expect(property(document, labels, 'leaf').additionalProperties).toBe(false);
    expect((order.properties as Record<string, JsonSchema>).meta).not.toHaveProperty('additionalProperties');
    // `@Data('order')` and `@Data('note')`: the top object names its keys and refuses others.
    expect(dataOf(document, 'action', 'annotate')).toMatchObject({
      type: 'object',
      properties: { order: { $ref: '#/components/schemas/Order' }, note: { type: 'string' } },
      additionalProperties: false,
    });
  });

  it('a handler that turns it off keeps its DTOs open', async () => {
    const document = await documentOf(true);
    const lax = levels(document, dataOf(document, 'action', 'place_lax'));
    for (const dto of Object.values(lax)) expect(dto).not.toHaveProperty('additionalProperties');
  });

  it('off for the module: open, but a handler that turns it on is closed (its DTOs in components of their own)', async () => {
    const document = await documentOf(false);
    for (const dto of Object.values(levels(document, dataOf(document, 'action', 'place')))) {
      expect(dto).not.toHaveProperty('additionalProperties');
    }
    const strict = levels(document, dataOf(document, 'action', 'place_strict'));
    expect(strict.leaf.additionalProperties).toBe(false);
    expect(component(document, dataOf(document, 'subscribe', 'orders')).additionalProperties).toBe(false);
  });
});
