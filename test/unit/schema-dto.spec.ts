import 'reflect-metadata';
import { Type } from 'class-transformer';
import {
  ArrayContains,
  ArrayMaxSize,
  ArrayMinSize,
  ArrayNotContains,
  ArrayNotEmpty,
  Allow,
  Contains,
  Equals,
  IsAlpha,
  IsAlphanumeric,
  IsArray,
  IsAscii,
  IsBase32,
  IsBase58,
  IsBoolean,
  IsBooleanString,
  IsDateString,
  IsDate,
  IsDefined,
  IsEmpty,
  IsEnum,
  IsHexColor,
  IsHexadecimal,
  IsIn,
  IsInt,
  IsISO8601,
  IsMongoId,
  IsNegative,
  IsNotEmpty,
  IsNotEmptyObject,
  IsNotIn,
  IsNumber,
  IsNumberString,
  IsObject,
  IsOctal,
  IsOptional,
  IsPositive,
  IsSemVer,
  IsString,
  IsUUID,
  Length,
  Matches,
  Max,
  MaxLength,
  Min,
  MinDate,
  MinLength,
  NotContains,
  NotEquals,
  ValidateNested,
  type ValidatorOptions,
} from 'class-validator';
import type { DtoSchemas } from '../../lib/schema/dto-schemas.js';
import { corpus, disagreements, dtoCase } from './schema-verdicts.js';

enum Color {
  Red,
  Green,
}

enum Size {
  Small = 's',
  Large = 'l',
}

/** Every decorator the converter expresses exactly, required and optional. */
class ZooDto {
  @IsString() @Length(2, 5) name: string;
  @IsNumber() @IsPositive() price: number;
  @IsNotEmpty() notEmpty: unknown;
  @IsDefined() defined: unknown;
  @IsOptional() @IsInt() @Min(1) @Max(9) count?: number;
  @IsOptional() @IsBoolean() flag?: boolean;
  @IsOptional() @IsEnum(Color) color?: Color;
  @IsOptional() @IsEnum(Size) size?: Size;
  @IsOptional() @IsIn(['a', 'b', 1]) pick?: string | number;
  @IsOptional() @IsString() @IsNotIn(['abc']) other?: string;
  @IsOptional() @Equals('fixed') fixed?: string;
  @IsOptional() @NotEquals(0) nonZero?: unknown;
  @IsEmpty() empty?: unknown;
  @IsOptional() @MinLength(2) @MaxLength(4) short?: string;
  @IsOptional() @Matches(/^[a-c]+$/i) letters?: string;
  @IsOptional() @Matches('^\\d+$') digits?: string;
  @IsOptional() @Matches('b', 'y') sticky?: string;
  @IsOptional() @Contains('b') withB?: string;
  @IsOptional() @NotContains('.') noDot?: string;
  @IsOptional() @IsArray() @ArrayMinSize(1) @ArrayMaxSize(2) @IsString({ each: true }) tags?: string[];
  @IsOptional() @ArrayNotEmpty() @ArrayContains([1]) @ArrayNotContains([2]) ones?: number[];
  @IsOptional() @IsObject() @IsNotEmptyObject() object?: object;
  @IsOptional() @IsNotEmptyObject({ nullable: false }) filled?: object;
  @IsOptional() @IsNegative() negative?: number;
  @IsOptional() @IsNumberString() numeric?: string;
  @IsOptional() @IsBooleanString() booleanText?: string;
  @IsOptional() @IsUUID() uuid?: string;
  @IsOptional() @IsUUID('4') uuid4?: string;
  @IsOptional() @IsUUID(['1', '7']) uuid17?: string;
  @IsOptional() @IsISO8601() iso?: string;
  @IsOptional() @IsDateString() date?: string;
  @IsOptional() @IsInt({ each: true }) @Max(5, { each: true }) ints?: number | number[];
  @IsOptional() @IsDate() @MinDate(new Date(0)) when?: Date;
  @IsOptional() @IsAlpha() alpha?: string;
  @IsOptional() @IsAlphanumeric() alphanumeric?: string;
  @IsOptional() @IsAscii() ascii?: string;
  @IsOptional() @IsBase32() base32?: string;
  @IsOptional() @IsBase58() base58?: string;
  @IsOptional() @IsHexColor() color6?: string;
  @IsOptional() @IsHexadecimal() hex?: string;
  @IsOptional() @IsMongoId() mongoId?: string;
  @IsOptional() @IsOctal() octal?: string;
  @IsOptional() @IsSemVer() version?: string;
  @Allow() anything?: unknown;
}

const ZOO_EXAMPLES = [
  { name: 'abc', price: 2.5, notEmpty: 'x', defined: 0 },
  {
    name: 'ab',
    price: 1,
    notEmpty: 0,
    defined: false,
    count: 3,
    flag: true,
    color: 1,
    size: 's',
    pick: 1,
    other: 'x',
    fixed: 'fixed',
    nonZero: 'a',
    empty: '',
    short: 'abc',
    letters: 'AbC',
    digits: '12',
    sticky: 'bc',
    withB: 'abc',
    noDot: 'abc',
    tags: ['a'],
    ones: [1, 3],
    object: { a: 1 },
    filled: { a: null, b: 0 },
    negative: -1,
    numeric: '-1.5',
    booleanText: 'true',
    uuid: '550e8400-e29b-41d4-a716-446655440000',
    uuid4: '550e8400-e29b-41d4-a716-446655440000',
    uuid17: '550e8400-e29b-11d4-a716-446655440000',
    iso: '2024-01-02T03:04:05Z',
    date: '2024-01-02',
    ints: [1, 2],
    when: null,
    alpha: 'abC',
    alphanumeric: 'a1B',
    ascii: 'a b',
    base32: 'JBSWY3DP',
    base58: 'abc',
    color6: '#fff',
    hex: '0x1F',
    mongoId: '507f1f77bcf86cd799439011',
    octal: '0o17',
    version: '1.2.3',
    anything: [1],
  },
];

const EXTRA_VALUES: unknown[] = [
  { name: 'abc', price: 2.5, notEmpty: 'x', defined: 0, filled: { a: null } },
  JSON.parse('{"name":"abc","price":2.5,"notEmpty":"x","defined":0,"filled":{"__proto__":1,"a":null}}'),
  { name: 'abc', price: 2.5, notEmpty: 'x', defined: 0, letters: 'abd' },
  { name: 'abc', price: 2.5, notEmpty: 'x', defined: 0, sticky: 'ab' },
  { name: 'abc', price: 2.5, notEmpty: 'x', defined: 0, ones: [3] },
  { name: 'abc', price: 2.5, notEmpty: 'x', defined: 0, ones: [1, 2] },
  { name: 'abc', price: 2.5, notEmpty: 'x', defined: 0, ints: 3 },
  { name: 'abc', price: 2.5, notEmpty: 'x', defined: 0, ints: [1, 6] },
  { name: 'abc', price: 2.5, notEmpty: 'x', defined: 0, numeric: '.5' },
  { name: 'abc', price: 2.5, notEmpty: 'x', defined: 0, numeric: '5.' },
  { name: 'abc', price: 2.5, notEmpty: 'x', defined: 0, iso: '2024-W05-3' },
  { name: 'abc', price: 2.5, notEmpty: 'x', defined: 0, uuid: 'FFFFFFFF-FFFF-FFFF-FFFF-FFFFFFFFFFFF' },
  { name: 'abc', price: 2.5, notEmpty: 'x', defined: 0, uuid: '00000000-0000-0000-0000-000000000000' },
  { name: 'abc', price: 2.5, notEmpty: 'x', defined: 0, uuid17: '550e8400-e29b-11d4-a716-446655440000' },
  { name: 'abc', price: 2.5, notEmpty: 'x', defined: 0, uuid17: '550e8400-e29b-71d4-a716-446655440000' },
  { name: 'abc', price: 2.5, notEmpty: 'x', defined: 0, object: { a: null } },
  JSON.parse('{"name":"abc","price":2.5,"notEmpty":"x","defined":0,"object":{"__proto__":{"a":1}}}'),
  JSON.parse('{"name":"abc","price":2.5,"notEmpty":"x","defined":0,"object":{"constructor":1,"a":1}}'),
];

function properties(schemas: DtoSchemas): Record<string, unknown> {
  return schemas.components.ZooDto.properties as Record<string, unknown>;
}

const OPTION_SETS: Array<[string, ValidatorOptions]> = [
  ['no options', {}],
  ['whitelist', { whitelist: true }],
  ['whitelist + forbidNonWhitelisted', { whitelist: true, forbidNonWhitelisted: true }],
  ['skipMissingProperties', { skipMissingProperties: true }],
  ['skipNullProperties', { skipNullProperties: true }],
  ['skipUndefinedProperties', { skipUndefinedProperties: true }],
  ['forbidUnknownValues: false', { forbidUnknownValues: false }],
];

describe('DtoSchemas: a DTO schema accepts exactly what the server accepts', () => {
  it.each(OPTION_SETS)('every exactly-expressed decorator, %s', async (_label, options) => {
    const { schemas, schema, server } = dtoCase(ZooDto, options);

    const values = corpus(ZOO_EXAMPLES, EXTRA_VALUES);
    const found = await disagreements(values, schema, server);

    expect(schemas.unconstrained).toEqual([]);
    // Every property is probed: the full example holds each of them.
    expect(Object.keys(ZOO_EXAMPLES[1]).sort()).toEqual(Object.keys(properties(schemas)).sort());
    expect(found).toEqual([]);
    // The corpus is not one-sided: both verdicts occur.
    const verdicts = await Promise.all(values.map((value) => server(value)));
    expect(verdicts.filter(Boolean).length).toBeGreaterThan(20);
    expect(verdicts.filter((verdict) => !verdict).length).toBeGreaterThan(100);
  });
});

class TagDto {
  @IsString() @MinLength(1) label: string;
}

/** Nested DTOs: one, optional, an array of them, and a DTO that nests itself. */
class TreeDto {
  @IsString() name: string;
  @ValidateNested() @Type(() => TagDto) tag: TagDto;
  @IsOptional() @IsArray() @ArrayMaxSize(3) @ValidateNested({ each: true }) @Type(() => TreeDto) children?: TreeDto[];
  @IsOptional() @ValidateNested() @Type(() => TreeDto) parent?: TreeDto;
  @IsOptional() @ValidateNested() loose?: object;
}

const TREE_EXAMPLES = [
  { name: 'root', tag: { label: 'a' } },
  {
    name: 'root',
    tag: { label: 'a' },
    children: [{ name: 'leaf', tag: { label: 'b' }, children: [] }],
    parent: { name: 'up', tag: { label: 'c' } },
  },
];

const TREE_EXTRA = [
  { name: 'root', tag: [{ label: 'a' }, { label: 'b' }] },
  { name: 'root', tag: [] },
  { name: 'root', tag: [{ label: '' }] },
  { name: 'root', tag: [null] },
  { name: 'root', tag: { label: 'a', extra: 1 } },
  { name: 'root', tag: { label: 'a' }, children: [{ name: 'leaf', tag: {} }] },
  { name: 'root', tag: { label: 'a' }, children: [{ name: 'leaf', tag: { label: 'x' }, parent: { name: 1 } }] },
  { name: 'root', tag: { label: 'a' }, children: [1] },
  { name: 'root', tag: { label: 'a' }, children: [{}, {}, {}, {}] },
  { name: 'root', tag: { label: 'a' }, loose: {} },
  { name: 'root', tag: { label: 'a' }, loose: [] },
  { name: 'root', tag: { label: 'a' }, loose: [{}] },
  { name: 'root', tag: { label: 'a' }, loose: { a: 1 } },
];

describe('DtoSchemas: nested DTOs, arrays of DTOs, recursion', () => {
  it.each(OPTION_SETS)('agrees with the server, %s', async (_label, options) => {
    const { schemas, schema, server } = dtoCase(TreeDto, options);

    const found = await disagreements(corpus(TREE_EXAMPLES, TREE_EXTRA), schema, server);

    expect(found).toEqual([]);
    expect(Object.keys(schemas.components).sort()).toEqual(['TagDto', 'TreeDto']);
  });

  it('refers to a DTO that nests itself by name, and terminates', () => {
    const { schemas } = dtoCase(TreeDto);

    expect(JSON.stringify(schemas.components.TreeDto)).toContain('"$ref":"#/components/schemas/TreeDto"');
  });
});
