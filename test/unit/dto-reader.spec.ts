import 'reflect-metadata';
import { Type } from 'class-transformer';
import {
  IsDefined,
  IsInt,
  IsOptional,
  IsString,
  Min,
  MinLength,
  ValidateNested,
  validate,
  type ValidationError,
} from 'class-validator';
import type { FieldError } from '../../lib/protocol/errors.js';
import { collectErrors, dtoReader, hasValidationRules } from '../../lib/validation/dto-reader.js';

class AddressDto {
  @IsString()
  zipcode: string;

  @IsString()
  city: string;
}

class UserDto {
  @IsString()
  @MinLength(2)
  name: string;

  @IsDefined()
  @ValidateNested()
  @Type(() => AddressDto)
  address: AddressDto;
}

class TagDto {
  @IsString()
  label: string;
}

class ParamsDto {
  @IsDefined()
  @ValidateNested()
  @Type(() => UserDto)
  user: UserDto;

  @IsInt()
  @Min(1)
  count: number;

  @IsOptional()
  @ValidateNested({ each: true })
  @Type(() => TagDto)
  tags?: TagDto[];
}

class NoRulesDto {
  name: string;
}

class OnlyTransformDto {
  @Type(() => Date)
  at: Date;
}

class GroupedRulesDto {
  @IsString({ groups: ['admin'] })
  secret: string;
}

class InheritedRulesDto extends AddressDto {
  extra: string;
}

interface Outcome {
  value: unknown;
  errors: FieldError[];
}

const readParams = dtoReader(ParamsDto, {}, {});

async function read(value: unknown, path = '', reader = readParams): Promise<Outcome> {
  const errors: FieldError[] = [];
  const result = await reader(value, path, errors);
  return { value: result, errors };
}

const validParams = () => ({
  user: { name: 'Ann', address: { zipcode: '75001', city: 'Paris' } },
  count: 2,
});

/** Errors in a stable order, each message list sorted, for order-insensitive comparison. */
const normalized = (errors: FieldError[]): FieldError[] =>
  errors
    .map((error) => ({ path: error.path, messages: [...error.messages].sort() }))
    .sort((a, b) => a.path.localeCompare(b.path));

describe('dtoReader', () => {
  describe('valid input', () => {
    it('returns an instance of the class, with nested instances, and reports nothing', async () => {
      const { value, errors } = await read(validParams());
      expect(errors).toEqual([]);
      expect(value).toBeInstanceOf(ParamsDto);
      const params = value as ParamsDto;
      expect(params.user).toBeInstanceOf(UserDto);
      expect(params.user.address).toBeInstanceOf(AddressDto);
      expect(params).toEqual(Object.assign(new ParamsDto(), validParams()));
      expect(params.user.address.zipcode).toBe('75001');
      expect(params.count).toBe(2);
    });

    it('builds instances inside arrays too', async () => {
      const { value, errors } = await read({ ...validParams(), tags: [{ label: 'a' }, { label: 'b' }] });
      expect(errors).toEqual([]);
      const tags = (value as ParamsDto).tags ?? [];
      expect(tags).toHaveLength(2);
      expect(tags[0]).toBeInstanceOf(TagDto);
      expect(tags.map((tag) => tag.label)).toEqual(['a', 'b']);
    });

    it('does not modify the input object', async () => {
      const input = validParams();
      await read(input);
      expect(input).toEqual(validParams());
      expect(input.user.address).not.toBeInstanceOf(AddressDto);
    });
  });

  describe('errors flattened to one entry per failing property', () => {
    it('gives the dotted path from the top of data, with class-validator messages', async () => {
      const input = validParams();
      (input.user.address as Record<string, unknown>).zipcode = 75001;
      const { errors } = await read(input);
      expect(errors).toEqual([{ path: 'user.address.zipcode', messages: ['zipcode must be a string'] }]);
    });

    it('prefixes the path with the reader path when given', async () => {
      const input = validParams();
      (input.user.address as Record<string, unknown>).zipcode = 75001;
      const { errors } = await read(input, 'params');
      expect(errors).toEqual([{ path: 'params.user.address.zipcode', messages: ['zipcode must be a string'] }]);
    });

    it('prefixes with a dotted reader path as well', async () => {
      const input = validParams();
      (input.user.address as Record<string, unknown>).zipcode = 75001;
      const { errors } = await read(input, 'outer.inner');
      expect(errors.map((error) => error.path)).toEqual(['outer.inner.user.address.zipcode']);
    });

    it('reports every failing property at every level', async () => {
      const { errors } = await read({
        user: { name: 'A', address: { zipcode: 1, city: 2 } },
        count: 0,
      });
      expect(normalized(errors)).toEqual(
        normalized([
          { path: 'count', messages: ['count must not be less than 1'] },
          { path: 'user.name', messages: ['name must be longer than or equal to 2 characters'] },
          { path: 'user.address.zipcode', messages: ['zipcode must be a string'] },
          { path: 'user.address.city', messages: ['city must be a string'] },
        ]),
      );
    });

    it('keeps all messages of one property in one entry', async () => {
      const { errors } = await read({ ...validParams(), count: 'x' });
      expect(errors).toHaveLength(1);
      expect(errors[0].path).toBe('count');
      expect([...errors[0].messages].sort()).toEqual([
        'count must be an integer number',
        'count must not be less than 1',
      ]);
    });

    it('uses array indexes as path segments', async () => {
      const { errors } = await read({ ...validParams(), tags: [{ label: 'ok' }, { label: 5 }] });
      expect(errors).toEqual([{ path: 'tags.1.label', messages: ['label must be a string'] }]);
    });

    it('reports a missing nested object at its own path', async () => {
      const { errors } = await read({ user: { name: 'Ann' }, count: 1 });
      expect(errors).toHaveLength(1);
      expect(errors[0].path).toBe('user.address');
      expect(errors[0].messages).toContain('address should not be null or undefined');
    });

    it('reports missing properties of an empty object', async () => {
      const { errors } = await read({});
      expect(errors.map((error) => error.path).sort()).toEqual(['count', 'user']);
    });

    it('still returns an instance when validation fails (the caller ignores it)', async () => {
      const { value, errors } = await read({ ...validParams(), count: 0 });
      expect(errors).not.toEqual([]);
      expect(value).toBeInstanceOf(ParamsDto);
    });

    it('appends to errors already collected', async () => {
      const errors: FieldError[] = [{ path: 'first', messages: ['first is wrong'] }];
      await readParams({ ...validParams(), count: 0 }, '', errors);
      expect(errors).toEqual([
        { path: 'first', messages: ['first is wrong'] },
        { path: 'count', messages: ['count must not be less than 1'] },
      ]);
    });
  });

  describe('a value that is not an object', () => {
    it.each([
      ['null', null],
      ['undefined', undefined],
    ])("%s → 'should not be null or undefined'", async (_label, input) => {
      expect(await read(input)).toEqual({
        value: undefined,
        errors: [{ path: '', messages: ['data should not be null or undefined'] }],
      });
      expect(await read(input, 'params')).toEqual({
        value: undefined,
        errors: [{ path: 'params', messages: ['params should not be null or undefined'] }],
      });
    });

    it.each([
      ['an array', [validParams()]],
      ['an empty array', []],
      ['a string', 'user'],
      ['an empty string', ''],
      ['a number', 42],
      ['false', false],
    ])("%s → 'must be an object'", async (_label, input) => {
      expect(await read(input)).toEqual({
        value: undefined,
        errors: [{ path: '', messages: ['data must be an object'] }],
      });
      expect(await read(input, 'params')).toEqual({
        value: undefined,
        errors: [{ path: 'params', messages: ['params must be an object'] }],
      });
    });
  });

  describe('options', () => {
    it('passes the validator options to validate()', async () => {
      const strict = dtoReader(AddressDto, { whitelist: true, forbidNonWhitelisted: true }, {});
      const { errors } = await read({ zipcode: '1', city: 'c', admin: true }, '', strict);
      expect(errors).toEqual([{ path: 'admin', messages: ['property admin should not exist'] }]);

      const lax = dtoReader(AddressDto, {}, {});
      expect((await read({ zipcode: '1', city: 'c', admin: true }, '', lax)).errors).toEqual([]);
    });

    it('passes the transformer options to plainToInstance()', async () => {
      const converting = dtoReader(ParamsDto, {}, { enableImplicitConversion: true });
      const { value, errors } = await read({ ...validParams(), count: '3' }, '', converting);
      expect(errors).toEqual([]);
      expect((value as ParamsDto).count).toBe(3);

      expect((await read({ ...validParams(), count: '3' })).errors.map((error) => error.path)).toEqual(['count']);
    });

    it('the same reader keeps no state between calls', async () => {
      await read({ ...validParams(), count: 0 });
      expect((await read(validParams())).errors).toEqual([]);
    });
  });
});

describe('collectErrors', () => {
  it('flattens a class-validator error tree with a prefix', async () => {
    const instance = Object.assign(new UserDto(), {
      name: 'Ann',
      address: Object.assign(new AddressDto(), { zipcode: 1, city: 'c' }),
    });
    const failures: ValidationError[] = await validate(instance);
    const errors: FieldError[] = [];
    collectErrors(failures, 'user', errors);
    expect(errors).toEqual([{ path: 'user.address.zipcode', messages: ['zipcode must be a string'] }]);
  });

  it('uses the bare property name with an empty prefix and skips nodes without constraints', () => {
    const leaf: ValidationError = { property: 'zip', constraints: { isString: 'zip must be a string' }, children: [] };
    const middle: ValidationError = { property: 'address', children: [leaf] };
    const errors: FieldError[] = [];
    collectErrors([middle], '', errors);
    expect(errors).toEqual([{ path: 'address.zip', messages: ['zip must be a string'] }]);
  });

  it('adds nothing for no failures', () => {
    const errors: FieldError[] = [];
    collectErrors([], 'x', errors);
    expect(errors).toEqual([]);
  });
});

describe('hasValidationRules', () => {
  it.each([
    ['a DTO with class-validator decorators', ParamsDto],
    ['a nested DTO', AddressDto],
    ['a DTO whose rules are all in groups', GroupedRulesDto],
    ['a DTO that inherits its rules', InheritedRulesDto],
  ])('is true for %s', (_label, type) => {
    expect(hasValidationRules(type)).toBe(true);
  });

  it.each([
    ['a class without decorators', NoRulesDto],
    ['a class with only class-transformer decorators', OnlyTransformDto],
    ['an anonymous class', class {}],
    ['Object', Object],
    ['Date', Date],
  ])('is false for %s', (_label, type) => {
    expect(hasValidationRules(type)).toBe(false);
  });
});
