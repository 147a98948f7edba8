import 'reflect-metadata';
import { Transform, Type } from 'class-transformer';
import {
  IsEmail,
  IsInt,
  IsNumber,
  IsOptional,
  IsString,
  Matches,
  Max,
  Min,
  MinLength,
  ValidateIf,
  ValidateNested,
  registerDecorator,
  Validate,
  ValidatorConstraint,
  type ValidatorConstraintInterface,
  type ValidatorOptions,
} from 'class-validator';
import { DtoSchemas } from '../../lib/schema/dto-schemas.js';
import { corpus, disagreements, dtoCase } from './schema-verdicts.js';

async function expectAgreement(
  type: new () => object,
  options: ValidatorOptions,
  valid: Record<string, unknown>[],
  extra: unknown[] = [],
): Promise<DtoSchemas> {
  const { schemas, schema, server } = dtoCase(type, options);
  const values = corpus(valid, extra);
  expect(await disagreements(values, schema, server)).toEqual([]);
  return schemas;
}

class BaseDto {
  @IsString() @MinLength(3) name: string;
  @IsInt() @Min(0) age: number;
}

/** Redeclares `age`: class-validator then drops the parent's custom rules on it (same property, same type). */
class ChildDto extends BaseDto {
  @IsOptional() @IsString() nickname?: string;
  @Max(200) declare age: number;
}

describe('DtoSchemas: inheritance', () => {
  it('merges the parent rules as class-validator does, overridden ones included', async () => {
    const schemas = await expectAgreement(ChildDto, {}, [{ name: 'alice', age: 30 }], [{ name: 'al', age: -5 }]);

    expect(schemas.components.ChildDto).toMatchObject({ required: ['age', 'name'] });
  });

  it('under whitelist and forbidNonWhitelisted, the parent properties are allowed', async () => {
    await expectAgreement(ChildDto, { whitelist: true, forbidNonWhitelisted: true }, [{ name: 'alice', age: 30 }]);
  });
});

class GroupsDto {
  @IsString({ groups: ['create'] }) @MinLength(3, { groups: ['create'] }) name: string;
  @IsInt({ groups: ['update'] }) id: number;
  @IsOptional({ always: true }) @IsString({ always: true }) note?: string;
  @IsNumber() score: number;
}

describe('DtoSchemas: groups, always, strictGroups', () => {
  it.each<[string, ValidatorOptions]>([
    ['no groups', {}],
    ['groups create', { groups: ['create'] }],
    ['groups update', { groups: ['update'] }],
    ['groups create + update', { groups: ['create', 'update'] }],
    ['always', { always: true }],
    ['strictGroups', { strictGroups: true }],
    ['groups create, always', { groups: ['create'], always: true }],
  ])('only the rules the options select: %s', async (_label, options) => {
    await expectAgreement(GroupsDto, options, [
      { name: 'alice', id: 1, note: 'x', score: 1 },
      { name: 'al', id: 'x', score: 'x' },
    ]);
  });

  it('a class with no rule in the selected groups refuses every value (forbidUnknownValues)', async () => {
    class OnlyAdminDto {
      @IsString({ groups: ['admin'] }) secret: string;
    }
    const schemas = await expectAgreement(OnlyAdminDto, { groups: ['user'] }, [{ secret: 'x' }, {}]);

    expect(schemas.components.OnlyAdminDto).toMatchObject({ not: {} });
  });
});

describe('DtoSchemas: component names', () => {
  it('gives two different classes of the same name distinct components', () => {
    const first = (() => {
      class SameDto {
        @IsString() a: string;
      }
      return SameDto;
    })();
    const second = (() => {
      class SameDto {
        @IsInt() b: number;
      }
      return SameDto;
    })();
    const schemas = new DtoSchemas({});

    const refs = [schemas.refTo(first), schemas.refTo(second), schemas.refTo(first)];

    expect(refs).toEqual([
      { $ref: '#/components/schemas/SameDto' },
      { $ref: '#/components/schemas/SameDto_2' },
      { $ref: '#/components/schemas/SameDto' },
    ]);
    expect(schemas.components.SameDto).toMatchObject({ properties: { a: { type: 'string' } } });
    expect(schemas.components.SameDto_2).toMatchObject({ properties: { b: { type: 'integer' } } });
  });

  it('gives a class validated under other options its own component, sharing the others', () => {
    const schemas = new DtoSchemas({});
    const strict = schemas.withOptions({ whitelist: true, forbidNonWhitelisted: true });

    expect(schemas.refTo(BaseDto)).toEqual({ $ref: '#/components/schemas/BaseDto' });
    expect(strict.refTo(BaseDto)).toEqual({ $ref: '#/components/schemas/BaseDto_2' });
    expect(schemas.withOptions({}).refTo(BaseDto)).toEqual({ $ref: '#/components/schemas/BaseDto' });
    expect(strict.components).toBe(schemas.components);
    expect(schemas.components.BaseDto_2).toMatchObject({ additionalProperties: false });
  });
});

describe('DtoSchemas: class defaults', () => {
  class DefaultsDto {
    @IsInt() @Min(1) page = 1;
    @IsOptional() @IsInt() @Max(50) limit = 100;
    @IsString() query: string;
  }

  it('a property the class initialises is required only if its initial value is invalid', async () => {
    const schemas = await expectAgreement(DefaultsDto, {}, [{ query: 'x' }, { query: 'x', page: 2, limit: 10 }]);

    expect(schemas.components.DefaultsDto).toMatchObject({ required: ['limit', 'query'] });
  });
});

function IsEven(): PropertyDecorator {
  return (target, propertyName) =>
    registerDecorator({
      name: 'isEven',
      target: target.constructor,
      propertyName: propertyName as string,
      validator: { validate: (value: unknown) => typeof value === 'number' && value % 2 === 0 },
    });
}

@ValidatorConstraint({ name: 'isOdd' })
class IsOddConstraint implements ValidatorConstraintInterface {
  validate(value: unknown): boolean {
    return typeof value === 'number' && value % 2 === 1;
  }
}

class Reported {
  @Validate(IsOddConstraint) odd: number;
  @IsEmail() email: string;
  @IsEven() even: number;
  @IsNumber({ maxDecimalPlaces: 2 }) amount: number;
  @Matches(/^a$/m) multiline: string;
  @IsOptional() @Transform(({ value }: { value: unknown }) => String(value)) @IsString() text?: string;
  @IsString() kind: string;
  @ValidateIf((object: Reported) => object.kind === 'card') @IsString() @MinLength(4) card?: string;
  @ValidateNested() @Type(() => Number) count: number;
}

describe('DtoSchemas: what it cannot express is reported, never silently wrong', () => {
  const schemas = new DtoSchemas({});
  schemas.refTo(Reported);
  const properties = schemas.components.Reported.properties as Record<string, Record<string, unknown>>;

  it.each([
    ['email', 'isEmail'],
    ['even', 'isEven'],
    ['odd', 'isOdd'],
    ['amount', 'isNumber'],
    ['multiline', 'matches'],
    ['text', '@Transform'],
    ['card', '@ValidateIf'],
    ['count', '@Type'],
  ])('%s (%s) is listed and marked x-unconstrained', (property, decorator) => {
    expect(schemas.unconstrained).toContainEqual(
      expect.objectContaining({ className: 'Reported', property, decorator, reason: expect.any(String) }),
    );
    expect(properties[property]['x-unconstrained']).toEqual(
      expect.arrayContaining([expect.stringMatching(new RegExp(`^${decorator}: `))]),
    );
  });

  it('keeps what it can express of a partly expressible rule, and the conditional rules of @ValidateIf', () => {
    expect(properties.email).toMatchObject({ type: 'string' });
    expect(properties.amount).toMatchObject({ type: 'number' });
    expect(properties.card).toMatchObject({ 'x-validated-if': { type: 'string', minLength: 4 } });
    expect(schemas.components.Reported.required).not.toContain('card');
    expect(schemas.unconstrained.map((rule) => rule.property)).not.toContain('kind');
  });

  it('accepts everything the server accepts, on the reported properties too (it only accepts more)', async () => {
    const { schema, server } = dtoCase(Reported, {});
    const valid = { odd: 1, email: 'a@b.co', even: 2, amount: 1.5, multiline: 'a', kind: 'cash', count: 1 };

    const found = await disagreements(corpus([valid, { ...valid, kind: 'card', card: 'abcd' }]), schema, server);

    expect(found.filter((line) => line.startsWith('schema refuses'))).toEqual([]);
  });
});
