import 'reflect-metadata';
import type { Type as ClassType } from '@nestjs/common';
import { Exclude, Expose, Transform, Type } from 'class-transformer';
import {
  Equals,
  IsBoolean,
  IsDefined,
  IsEmail,
  IsIn,
  IsArray,
  IsInt,
  IsNotEmpty,
  IsNumber,
  IsOptional,
  IsPositive,
  IsString,
  IsUUID,
  Matches,
  Max,
  MaxLength,
  Min,
  MinLength,
  ValidateBy,
  ValidateIf,
  ValidateNested,
  type ValidatorOptions,
} from 'class-validator';
import fc from 'fast-check';
import type { FieldError } from '../../lib/protocol/errors.js';
import { compileDtoFastPath, FALLBACK } from '../../lib/validation/dto-fast-path.js';
import { dtoReader, referenceDtoReader } from '../../lib/validation/dto-reader.js';

class AddDto {
  @IsInt() a!: number;
  @IsInt() b!: number;
}

class ProfileDto {
  @IsString() @IsNotEmpty() @MaxLength(8) name!: string;
  @IsEmail() email!: string;
  @IsOptional() @IsInt() @Min(0) @Max(130) age?: number;
  @IsBoolean() admin!: boolean;
  @IsIn(['red', 'green']) color!: string;
  @IsOptional() @IsArray() tags?: unknown[];
}

class NumbersDto {
  @IsNumber() ratio!: number;
  @IsPositive() count!: number;
  @Min(2) @Min(5) twice!: number;
  @Equals(3) three!: number;
  @IsDefined() present!: unknown;
}

const isEven = (name: string) =>
  ValidateBy({
    name: 'isEven',
    validator: {
      validate: (value) => typeof value === 'number' && value % 2 === 0,
      defaultMessage: () => `${name} must be even`,
    },
  });

class BaseDto {
  @IsUUID() id!: string;
}

class CustomDto extends BaseDto {
  @isEven('n') n!: number;
  @ValidateIf((object: CustomDto) => object.kind === 'code') @Matches(/^[A-Z]{3}$/) code?: string;
  @IsString() @MinLength(2) kind!: string;
  label = 'default';

  describe(): string {
    return this.kind;
  }

  get upper(): string {
    return this.kind.toUpperCase();
  }
}

class InnerDto {
  @IsInt() x!: number;
}

class NestedDto {
  @ValidateNested() @Type(() => InnerDto) inner!: InnerDto;
}

class TransformedDto {
  @Transform(({ value }) => (typeof value === 'string' ? value.trim() : value)) @IsString() @MinLength(1) text!: string;
}

class PartlyTransformedDto {
  @IsInt() n!: number;
  @Transform(({ value }) => `note: ${String(value)}`) note?: string;
}

@Exclude()
class ExposeOnlyDto {
  @Expose() @IsInt() n!: number;
  @IsOptional() @IsString() hidden?: string;
  @IsOptional() @IsArray() list?: unknown[];
}

class AsyncDto {
  @ValidateBy({ name: 'later', async: true, validator: { validate: async (value) => value === 1 } }) v!: number;
}

const value = fc.oneof(
  fc.integer({ min: -5, max: 200 }),
  fc.double({ noNaN: true, noDefaultInfinity: true }),
  fc.boolean(),
  fc.constant(null),
  fc.constantFrom(
    '',
    'red',
    'green',
    'Alice',
    'ABC',
    'abc',
    'code',
    'x',
    'ab',
    '5',
    ' ',
    'a@b.co',
    'not-an-email',
    '0d8e2a1e-5d58-4f5c-9d5d-0f3b1f0d2c11',
  ),
  fc.string({ maxLength: 12 }),
  fc.constantFrom({}, { x: 1 }, [], [1, 'a']),
);

const specialKey = fc.constantFrom(
  'extra',
  'describe',
  'upper',
  'label',
  'note',
  '__proto__',
  'prototype',
  'constructor',
);

/**
 * A valid object with a few random edits (keys dropped, values replaced, keys added), so that
 * inputs sit on both sides of every rule, not only far outside them; and some entirely random ones.
 */
function inputFor(valid: Record<string, unknown>) {
  const keys = Object.keys(valid);
  const edit = fc.oneof(
    fc.record({ drop: fc.constantFrom(...keys) }),
    fc.record({ key: fc.oneof({ weight: 4, arbitrary: fc.constantFrom(...keys) }, specialKey), value }),
  );
  const edited = fc.array(edit, { maxLength: 3 }).map((edits) => {
    const input: Record<string, unknown> = { ...valid };
    for (const change of edits) {
      if ('drop' in change) delete input[change.drop];
      else
        Object.defineProperty(input, change.key, {
          value: change.value,
          enumerable: true,
          configurable: true,
          writable: true,
        });
    }
    return input;
  });
  const random = fc.dictionary(fc.oneof({ weight: 4, arbitrary: fc.constantFrom(...keys) }, specialKey), value, {
    maxKeys: keys.length + 2,
  });
  return fc.oneof({ weight: 3, arbitrary: edited }, { weight: 1, arbitrary: random });
}

async function read(reader: ReturnType<typeof dtoReader>, input: object) {
  const errors: FieldError[] = [];
  const instance = await reader(structuredClone(input), 'dto', errors);
  return { errors, instance };
}

const PROFILE = { name: 'Ada', email: 'ada@example.com', age: 36, admin: false, color: 'red', tags: ['a', { b: 1 }] };
const CASES: Array<[string, ClassType<object>, Record<string, unknown>, ValidatorOptions]> = [
  ['AddDto', AddDto, { a: 1, b: 2 }, {}],
  ['ProfileDto', ProfileDto, PROFILE, {}],
  ['ProfileDto, stopAtFirstError', ProfileDto, PROFILE, { stopAtFirstError: true }],
  ['NumbersDto', NumbersDto, { ratio: 0.5, count: 2, twice: 7, three: 3, present: 'yes' }, {}],
  [
    'CustomDto (inherited, ValidateIf, ValidateBy, methods, getter, field initializer)',
    CustomDto,
    { id: '0d8e2a1e-5d58-4f5c-9d5d-0f3b1f0d2c11', n: 4, code: 'ABC', kind: 'code' },
    {},
  ],
  ['PartlyTransformedDto (a @Transform on a property without rules)', PartlyTransformedDto, { n: 1, note: 'x' }, {}],
  ['ExposeOnlyDto (class-level @Exclude: slow path only)', ExposeOnlyDto, { n: 1, hidden: 'x', list: [1] }, {}],
  ['NestedDto (slow path only)', NestedDto, { inner: { x: 1 } }, {}],
  ['TransformedDto (slow path only)', TransformedDto, { text: ' hi ' }, {}],
  ['AsyncDto (slow path only)', AsyncDto, { v: 1 }, {}],
  ['AddDto, whitelist (slow path only)', AddDto, { a: 1, b: 2 }, { whitelist: true, forbidNonWhitelisted: true }],
];

const RUNS = 1500;

describe(`DTO fast path ≡ class-transformer + class-validator (${CASES.length} DTO setups × ${RUNS} generated inputs = ${CASES.length * RUNS})`, () => {
  it.each(CASES)('%s: same instances, same errors, same paths and messages', async (_name, type, valid, validator) => {
    const fast = dtoReader(type, validator, {});
    const reference = referenceDtoReader(type, validator, {});
    await fc.assert(
      fc.asyncProperty(inputFor(valid), async (input) => {
        const [ours, theirs] = await Promise.all([read(fast, input), read(reference, input)]);
        expect(ours.errors).toEqual(theirs.errors);
        expect(ours.instance).toBeInstanceOf(type);
        expect({ ...(ours.instance as object) }).toEqual({ ...(theirs.instance as object) });
      }),
      { numRuns: RUNS },
    );
  });

  it('covers the common DTOs, and leaves nested, transformed, async and whitelisting ones to the libraries', () => {
    for (const type of [AddDto, ProfileDto, NumbersDto, CustomDto])
      expect(compileDtoFastPath(type, {}, {})).toBeDefined();
    for (const type of [NestedDto, TransformedDto, ExposeOnlyDto])
      expect([type.name, compileDtoFastPath(type, {}, {})]).toEqual([type.name, undefined]);
    // A constraint that returns a promise is left to class-validator to await, even when valid.
    expect(compileDtoFastPath(AsyncDto, {}, {})?.({ v: 1 }) ?? FALLBACK).toBe(FALLBACK);
    expect(compileDtoFastPath(AddDto, { whitelist: true }, {})).toBeUndefined();
    expect(compileDtoFastPath(AddDto, {}, { enableImplicitConversion: true })).toBeUndefined();
  });

  it('decides valid flat input itself, synchronously', () => {
    const fastPath = compileDtoFastPath(AddDto, {}, {})!;
    const instance = fastPath({ a: 1, b: 2 });
    expect(instance).toBeInstanceOf(AddDto);
    expect(instance).toEqual(Object.assign(new AddDto(), { a: 1, b: 2 }));
    expect(fastPath({ a: 1.5, b: 2 })).toBe(FALLBACK);
    const reader = dtoReader(AddDto, {}, {});
    expect(reader({ a: 1, b: 2 }, '', [])).not.toBeInstanceOf(Promise);
  });
});
