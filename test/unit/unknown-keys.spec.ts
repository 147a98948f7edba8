import 'reflect-metadata';
import { Expose, Type } from 'class-transformer';
import { IsInt, IsOptional, IsString, ValidateNested, type ValidatorOptions } from 'class-validator';
import type { FieldError } from '../../lib/protocol/errors.js';
import { referenceDtoReader } from '../../lib/validation/dto-reader.js';
import { compileUnknownKeys } from '../../lib/validation/unknown-keys.js';
import { Order } from '../fixtures/strict-input-app.js';

class Node {
  @IsString() name!: string;
  @IsOptional() @ValidateNested({ each: true }) @Type(() => Node) children?: Node[];
}

class Price {
  @IsInt() cents!: number;
}

class Catalog {
  @ValidateNested({ each: true }) @Type(() => Price) prices!: Map<string, Price>;
}

class Renamed {
  @Expose({ name: 'user_name' }) @IsString() userName!: string;
}

class Grouped {
  @IsString({ always: true }) id!: string;
  @IsString({ groups: ['admin'] }) role!: string;
}

function unknownKeys(type: new () => object, data: unknown, options: ValidatorOptions = {}): FieldError[] {
  const errors: FieldError[] = [];
  compileUnknownKeys(type, options)(data, '', errors);
  return errors;
}

/** What class-validator's `forbidNonWhitelisted` reports for the same data, in the same shape. */
async function forbidden(type: new () => object, data: unknown): Promise<FieldError[]> {
  const errors: FieldError[] = [];
  await referenceDtoReader(type, { whitelist: true, forbidNonWhitelisted: true }, {})(
    structuredClone(data),
    '',
    errors,
  );
  return errors;
}

const byPath = (errors: FieldError[]) => [...errors].sort((a, b) => a.path.localeCompare(b.path));

describe('the unknown-keys check', () => {
  it.each<[string, new () => object, unknown]>([
    [
      'a tree nesting itself, four levels',
      Node,
      { name: 'a', children: [{ name: 'b', children: [{ name: 'c', x: 1, children: [{ name: 'd', y: 2 }] }] }], z: 3 },
    ],
    [
      'five levels through an array of arrays',
      Order,
      {
        id: 'o',
        q: 1,
        two: { grid: [[{ r: 1, four: { n: 1, leaves: [{ value: 'a' }, { value: 'b', s: 1 }] } }], [{ t: 1 }]] },
      },
    ],
    [
      'a Map property: its keys are free, its values DTOs',
      Catalog,
      { prices: { eur: { cents: 1, extra: 1 }, usd: { cents: 2 } } },
    ],
  ])('reports the paths forbidNonWhitelisted reports: %s', async (_what, type, data) => {
    const own = unknownKeys(type, data);
    expect(own.length).toBeGreaterThan(0);
    expect(byPath(own)).toEqual(byPath(await forbidden(type, data)));
  });

  it('paths under a Map are the map keys', () => {
    expect(unknownKeys(Catalog, { prices: { eur: { cents: 1, extra: 1 } } })).toEqual([
      { path: 'prices.eur.extra', messages: ['property extra should not exist'] },
    ]);
  });

  it('@Expose({ name }) declares the name the data uses', () => {
    expect(unknownKeys(Renamed, { user_name: 'a' })).toEqual([]);
  });

  it("declares what the handler's groups validate, as whitelist does", () => {
    expect(unknownKeys(Grouped, { id: 'a', role: 'r' }, { groups: ['user'] })).toEqual([
      { path: 'role', messages: ['property role should not exist'] },
    ]);
    expect(unknownKeys(Grouped, { id: 'a', role: 'r' }, { groups: ['admin'] })).toEqual([]);
  });

  it('leaves what is not an object to the validator', () => {
    for (const data of [null, 5, 'x', [{ extra: 1 }]]) expect(unknownKeys(Node, data)).toEqual([]);
    expect(unknownKeys(Node, { name: 'a', children: [5, null, [{ name: 'b', w: 1 }]] })).toEqual([
      { path: 'children.2.0.w', messages: ['property w should not exist'] },
    ]);
  });
});
