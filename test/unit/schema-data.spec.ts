import 'reflect-metadata';
import { IsInt, IsOptional, IsString, Min } from 'class-validator';
import { Connection } from '../../lib/decorators/connection.decorator.js';
import { Data } from '../../lib/decorators/data.decorator.js';
import { DtoSchemas } from '../../lib/schema/dto-schemas.js';
import { CONNECTION_PARAM } from '../../lib/socket-api.constants.js';
import { dataVerdict, disagreements, handlerParams, jsonSchemaVerdict, PROBES } from './schema-verdicts.js';

class QueryDto {
  @IsString() q: string;
  @IsOptional() @IsInt() @Min(1) page?: number;
}

class EmptyOkDto {
  @IsOptional() @IsString() q?: string;
}

/** Handlers of every `@Data()` shape; `data` is each method's whole `data`. */
class Handlers {
  nothing(): void {}
  whole(@Data() _query: QueryDto): void {}
  wholeEmptyOk(@Data() _query: EmptyOkDto): void {}
  number(@Data('a') _a: number): void {}
  boolean(@Data('flag') _flag: boolean): void {}
  text(@Data('s') _s: string): void {}
  list(@Data('items') _items: string[]): void {}
  anyValue(@Data('x') _x: unknown): void {}
  several(@Data('a') _a: number, @Data('s') _s: string, @Connection() _connection: unknown): void {}
  nestedDto(@Data('query') _query: QueryDto): void {}
  nestedEmptyOk(@Data('query') _query: EmptyOkDto): void {}
  mixed(@Data() _query: EmptyOkDto, @Data('page') _page: number): void {}
  wholeNumber(@Data() _n: number): void {}
  wholeAny(@Data() _data: object): void {}
}

// A frame without `data` is dataRequired's question (below): JSON Schema knows no `undefined`.
const DATA_VALUES: unknown[] = [
  ...PROBES,
  ...PROBES.map((a) => ({ a })),
  ...PROBES.map((flag) => ({ flag })),
  ...PROBES.map((s) => ({ s })),
  ...PROBES.map((items) => ({ items })),
  ...PROBES.map((x) => ({ x })),
  ...PROBES.map((query) => ({ query })),
  ...PROBES.map((page) => ({ page, q: 'x' })),
  ...PROBES.map((q) => ({ q })),
  ...PROBES.map((a) => ({ a, s: 'x' })),
  { query: { q: 'x' } },
  { query: { q: 'x', page: 0 } },
  { query: { q: 'x', page: 2 } },
  { q: 'x', page: 2 },
  { q: 'x', page: '2' },
  ...['1', ' 1.5 ', '-.5', '+2e3', '1e', '1.', '.', '', ' ', '\u00a01\u2003', '0x10', 'Infinity', 'NaN', '1_000'].map(
    (a) => ({ a }),
  ),
  ...['true', 'TRUE', ' Yes ', 'on', 'OFF', 'f', 'N', 'tru', 'yess', '2', '\ttrue\n', 'True'].map((flag) => ({ flag })),
  ...[0, 1, 2, -0, 0.5].map((flag) => ({ flag })),
];

describe('DtoSchemas.dataSchema: the whole `data` of a handler, as ParamsBinder reads it', () => {
  const methods = Object.getOwnPropertyNames(Handlers.prototype).filter((name) => name !== 'constructor');

  it.each(methods)('%s: the schema accepts exactly the data the server accepts', async (method) => {
    const schemas = new DtoSchemas({});
    const params = handlerParams(Handlers, method);
    const schema = schemas.dataSchema(params);

    const found = await disagreements(
      DATA_VALUES,
      jsonSchemaVerdict(schema, schemas.components),
      dataVerdict(Handlers, method, {}),
    );

    expect(found).toEqual([]);
  });

  it.each(methods)('%s: dataRequired says whether a frame without `data` is refused', async (method) => {
    const schemas = new DtoSchemas({});
    const accepted = await dataVerdict(Handlers, method, {})(undefined);

    expect(schemas.dataRequired(handlerParams(Handlers, method))).toBe(!accepted);
  });

  it('skips @Connection() parameters and reports pipes as unconstrained', () => {
    const schemas = new DtoSchemas({});

    const schema = schemas.dataSchema(
      [
        { metatype: Object, kind: CONNECTION_PARAM },
        { property: 'id', metatype: Number, pipes: [{ transform: (value: unknown) => value }] },
      ],
      'action "get"',
    );

    expect(Object.keys(schema.properties as object)).toEqual(['id']);
    expect(schemas.unconstrained).toEqual([
      { className: 'action "get"', property: 'id', decorator: 'pipes', reason: expect.any(String) },
    ]);
  });
});
