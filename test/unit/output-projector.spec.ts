import 'reflect-metadata';
import { Expose, Transform, Type } from 'class-transformer';
import {
  Allow,
  IsDate,
  IsInt,
  IsOptional,
  IsString,
  registerDecorator,
  ValidateNested,
  type ValidatorOptions,
} from 'class-validator';
import type { SocketReplyType } from '../../lib/index.js';
import { UnserializableValueError } from '../../lib/protocol/to-plain.js';
import { DtoSchemas } from '../../lib/schema/dto-schemas.js';
import {
  compileOutputProjector,
  OutputShapeError,
  type OutputViolation,
} from '../../lib/validation/output-projector.js';

class TagDto {
  @IsString() label: string;
}

class NodeDto {
  @IsInt() id: number;
  @IsOptional() @IsString() note?: string;
  @IsOptional() @ValidateNested() @Type(() => NodeDto) next?: NodeDto;
  @ValidateNested({ each: true }) @Type(() => TagDto) tags: TagDto[][];
  @IsOptional() @IsDate() at?: Date;
  /** Declared without rules. */
  @Allow() anything: unknown;
}

class Transformed {
  @IsString() @Transform(({ value }: { value: string }) => value.toUpperCase()) name: string;
}

class Renamed {
  @IsString() @Expose({ name: 'label' }) name: string;
}

class Chosen {
  @ValidateNested()
  @Type(() => TagDto, { discriminator: { property: 'kind', subTypes: [{ name: 'tag', value: TagDto }] } })
  item: unknown;
}

function project(type: SocketReplyType, value: unknown, validator: ValidatorOptions = {}) {
  const violations: OutputViolation[] = [];
  const sent = compileOutputProjector(type, validator, undefined)(value, violations);
  return { sent, violations };
}

describe('compileOutputProjector', () => {
  it('keeps exactly the properties the generated document lists for the DTO, at every depth', () => {
    const schemas = new DtoSchemas({});
    schemas.refTo(NodeDto);
    const value = {
      id: 1,
      note: 'n',
      next: { id: 2, tags: [], anything: 0, secret: 'x' },
      tags: [[{ label: 'a', secret: 'x' }]],
      at: new Date(0),
      anything: { free: 'form' },
      secret: 'x',
    };
    const { sent, violations } = project(NodeDto, value);
    expect(violations).toEqual([]);
    expect(Object.keys(sent as object).sort()).toEqual(Object.keys(schemas.components.NodeDto.properties!).sort());
    expect(sent).toEqual({
      id: 1,
      note: 'n',
      next: { id: 2, tags: [], anything: 0 },
      tags: [[{ label: 'a' }]],
      at: '1970-01-01T00:00:00.000Z',
      anything: { free: 'form' },
    });
    expect(Object.keys(schemas.components.TagDto.properties!)).toEqual(['label']);
  });

  it('reports each broken rule by path and name, never the value', () => {
    const { violations } = project(NodeDto, { id: 'one', tags: [[{ label: 3 }], 'x'], next: 5, anything: 1 });
    expect(violations).toEqual([
      { path: 'id', problems: ['isInt'] },
      { path: 'next', problems: ['must be either object or array'] },
      { path: 'tags.0.0.label', problems: ['isString'] },
    ]);
  });

  it('a recursive DTO, nested deep', () => {
    let value: Record<string, unknown> = { id: 0, tags: [], anything: null, hidden: true };
    for (let depth = 1; depth < 50; depth++) value = { id: depth, tags: [], anything: null, next: value, hidden: true };
    const { sent, violations } = project(NodeDto, value);
    expect(violations).toEqual([]);
    expect(JSON.stringify(sent)).not.toContain('hidden');
  });

  it('primitive and array reply types', () => {
    expect(project(Number, 3)).toEqual({ sent: 3, violations: [] });
    expect(project(String, 3).violations).toEqual([{ path: '', problems: ['must be a string'] }]);
    expect(project([TagDto], [{ label: 'a', secret: 1 }])).toEqual({ sent: [{ label: 'a' }], violations: [] });
    // Not an array where one is declared: reported, and still projected (no property escapes).
    expect(project([TagDto], { label: 'a', secret: 1 })).toEqual({
      sent: { label: 'a' },
      violations: [{ path: '', problems: ['must be an array'] }],
    });
    expect(project(TagDto, [{ label: 'a', secret: 1 }])).toEqual({
      sent: [{ label: 'a' }],
      violations: [{ path: '', problems: ['must be an object'] }],
    });
    expect(project([[Boolean]], [[true], [false]]).sent).toEqual([[true], [false]]);
  });

  it('what JSON cannot carry throws, as toPlain does; what JSON leaves out is left out', () => {
    expect(() => project(NodeDto, { id: NaN, tags: [], anything: 1 })).toThrow(UnserializableValueError);
    expect(() => project(NodeDto, { id: 1, tags: [], anything: 10n })).toThrow(UnserializableValueError);
    expect(project(NodeDto, { id: 1, tags: [], anything: () => 1, at: new Date(NaN) }).sent).toEqual({
      id: 1,
      tags: [],
      at: null,
    });
  });

  it('class instances in a free-form property go through class-transformer, as without projection', () => {
    class Inner {
      kept = 1;
      @Expose({ toPlainOnly: true, name: 'renamed' }) original = 2;
    }
    expect(project(NodeDto, { id: 1, tags: [], anything: new Inner() }).sent).toEqual({
      id: 1,
      tags: [],
      anything: { kept: 1, renamed: 2 },
    });
  });

  it('a constraint that throws fails; an asynchronous one is not awaited', () => {
    class Checked {
      @Throws() a: unknown;
      @Rejects() b: unknown;
    }
    expect(project(Checked, { a: 1, b: 2 })).toEqual({
      sent: { a: 1, b: 2 },
      violations: [{ path: 'a', problems: ['throws'] }],
    });
  });

  it('the skip options, as class-validator applies them', () => {
    expect(project(TagDto, {}).violations).toEqual([{ path: 'label', problems: ['isString'] }]);
    expect(project(TagDto, {}, { skipMissingProperties: true }).violations).toEqual([]);
    expect(project(TagDto, { label: null }, { skipNullProperties: true })).toEqual({
      sent: { label: null },
      violations: [],
    });
  });

  it.each<[string, SocketReplyType, RegExp]>([
    ['a DTO without any decorator', class Bare {}, /Bare declares no property/],
    ['a @Transform', Transformed, /Transformed\.name has a @Transform/],
    ['a property renamed by @Expose', Renamed, /Renamed\.name is renamed/],
    ['a nested type chosen by a discriminator', Chosen, /Chosen\.item: a @Type with a discriminator/],
  ])('refuses at startup %s', (_label, type, message) => {
    expect(() => compileOutputProjector(type, {}, undefined)).toThrow(OutputShapeError);
    expect(() => compileOutputProjector(type, {}, undefined)).toThrow(message);
  });
});

function Throws() {
  return (object: object, propertyName: string) =>
    registerDecorator({
      name: 'throws',
      target: object.constructor,
      propertyName,
      validator: {
        validate: () => {
          throw new Error('constraint failed');
        },
      },
    });
}

function Rejects() {
  return (object: object, propertyName: string) =>
    registerDecorator({
      name: 'rejects',
      target: object.constructor,
      propertyName,
      validator: { validate: () => Promise.reject(new Error('async constraint')) },
    });
}
