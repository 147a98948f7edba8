import type { Type } from '@nestjs/common';
import { Ajv } from 'ajv';
import addFormatsModule from 'ajv-formats';
import type { ValidatorOptions } from 'class-validator';
import type { SocketConnection } from '../../lib/connection/socket-connection.js';
import { readParams } from '../../lib/decorators/param-metadata.js';
import { ParamsBinder } from '../../lib/handlers/params-binder.js';
import { SocketApiValidationException, type FieldError } from '../../lib/protocol/errors.js';
import { DtoSchemas } from '../../lib/schema/dto-schemas.js';
import type { JsonSchema } from '../../lib/schema/json-schema.js';
import { DATA_PARAM } from '../../lib/socket-api.constants.js';
import { dtoReader } from '../../lib/validation/dto-reader.js';

// ajv-formats is CommonJS with a default export: under ESM the namespace's default is the plugin.
const addFormats = addFormatsModule as unknown as typeof addFormatsModule.default;

/** A real JSON Schema validator over `schema`, with `components` where its `$ref`s point. */
export function jsonSchemaVerdict(
  schema: JsonSchema,
  components: Record<string, JsonSchema>,
): (value: unknown) => boolean {
  const ajv = new Ajv({ strict: false });
  addFormats(ajv);
  const validate = ajv.compile({ ...(schema as object), components: { schemas: components } });
  return (value) => validate(value) === true;
}

/** The server's verdict on a DTO: the very reader a handler's `@Data() dto: Dto` uses. */
export function dtoVerdict(type: Type<object>, validator: ValidatorOptions): (value: unknown) => Promise<boolean> {
  const read = dtoReader(type, validator, {});
  return async (value) => {
    const errors: FieldError[] = [];
    await read(clone(value), '', errors);
    return errors.length === 0;
  };
}

/**
 * The server's verdict on a handler's `data`: its real ParamsBinder, after the normalisation of a
 * missing or `null` `data` to `{}` (lib/protocol/parse-client-message.ts).
 */
export function dataVerdict(
  classRef: Type,
  methodName: string,
  validator: ValidatorOptions,
): (data: unknown) => Promise<boolean> {
  const method = (classRef.prototype as Record<string, (...args: unknown[]) => unknown>)[methodName];
  const binder = ParamsBinder.compile(
    { kind: 'action', name: methodName, instance: {}, classRef, methodName, method, moduleKey: 'test' },
    { validator, transformer: {} },
  );
  return async (data) => {
    try {
      await binder.bind(
        undefined as unknown as SocketConnection,
        data === undefined || data === null ? {} : clone(data),
      );
      return true;
    } catch (error) {
      if (error instanceof SocketApiValidationException) return false;
      throw error;
    }
  };
}

/** The handler's parameters as the document builder passes them: ParamsBinder's `params`. */
export function handlerParams(
  classRef: Type,
  methodName: string,
): { property?: string; metatype: unknown; kind: string }[] {
  const types = Reflect.getMetadata('design:paramtypes', classRef.prototype as object, methodName) as unknown[];
  return (readParams(classRef, methodName).get(DATA_PARAM) ?? []).map(({ index, data }) => ({
    property: data,
    metatype: types[index],
    kind: DATA_PARAM,
  }));
}

/** One value on which the verdicts differ, in a line: `schema accepts, server refuses: {...}`. */
export type Disagreement = string;

/** A deep copy as a second JSON.parse makes it: own `__proto__` keys stay own keys, as in received data. */
export function clone(value: unknown): unknown {
  return value === undefined ? undefined : JSON.parse(JSON.stringify(value));
}

/** The values on which the schema and the server disagree. */
export async function disagreements(
  values: unknown[],
  schema: (value: unknown) => boolean,
  server: (value: unknown) => Promise<boolean>,
): Promise<Disagreement[]> {
  const found: Disagreement[] = [];
  for (const value of values) {
    const [bySchema, byServer] = [schema(clone(value)), await server(value)];
    if (bySchema !== byServer) {
      found.push(
        `schema ${bySchema ? 'accepts' : 'refuses'}, server ${byServer ? 'accepts' : 'refuses'}: ${JSON.stringify(value)}`,
      );
    }
  }
  return found;
}

/** Values to put in every property: each JSON type, edges of lengths and numbers, formats. */
export const PROBES: unknown[] = [
  null,
  '',
  'a',
  'ab',
  'abc',
  'abcdef',
  'ABC',
  'hello world',
  '12',
  ' 1.5e3 ',
  '0x1F',
  '0H1f',
  '#fff',
  '#12345',
  'JBSWY3DP',
  'JBSWY3DPE',
  'MFRGGZDF======',
  'abc\u0001',
  '507f1f77bcf86cd799439011',
  '0x507f1f77bcf86cd7994390',
  '0o17',
  '1.2.3',
  '1.2.3-Beta.1+build.5',
  '01.2.3',
  'yes',
  'TRUE',
  'red',
  'Red',
  'admin@example.com',
  '2024-01-02',
  '2024-01-02T03:04:05Z',
  '2024-13-45',
  '550e8400-e29b-41d4-a716-446655440000',
  '550E8400-E29B-41D4-A716-446655440000',
  '550e8400-e29b-01d4-a716-446655440000',
  '😀😀',
  // Presentation selectors, which validator.js's lengths do not count after a character.
  'a\uFE0F',
  'ab\uFE0F',
  '\uFE0Fab',
  'a\uFE0F\uFE0F',
  '✌️✌️✌️✌️✌️',
  '😀\uFE0E😀\uFE0F',
  0,
  1,
  -1,
  2,
  9,
  10,
  2.5,
  -0.5,
  1e21,
  true,
  false,
  [],
  [1, 2],
  [1, 1],
  ['a', 'b'],
  ['a', 'a'],
  [null],
  [{}],
  [[]],
  [{ a: 1 }, { a: 1 }],
  {},
  { a: 1 },
  { name: 'x' },
];

/**
 * A corpus for a DTO: each valid example, each without one of its properties, with each property
 * set to each probe, and with unknown and prototype keys added.
 */
export function corpus(valid: Record<string, unknown>[], extra: unknown[] = []): unknown[] {
  const values: unknown[] = [...extra];
  for (const example of valid) {
    values.push(
      example,
      { ...example, unknown: 1 },
      JSON.parse(`{"__proto__":{"x":1},"constructor":1,${JSON.stringify(example).slice(1)}`.replace(',}', '}')),
    );
    for (const key of Object.keys(example)) {
      const { [key]: _removed, ...without } = example;
      values.push(without);
      for (const probe of PROBES) values.push({ ...example, [key]: probe });
    }
  }
  values.push({}, [], 'text', 1, null);
  return values;
}

/** Builds the schema of `type` under `validator` and returns both verdicts and the schemas. */
export function dtoCase(type: Type<object>, validator: ValidatorOptions = {}) {
  const schemas = new DtoSchemas(validator);
  const schema = schemas.refTo(type);
  return { schemas, schema: jsonSchemaVerdict(schema, schemas.components), server: dtoVerdict(type, validator) };
}
