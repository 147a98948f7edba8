import 'reflect-metadata';
import { IsInt, IsOptional, IsString, Length, Max, MaxLength, Min, MinLength } from 'class-validator';
import { DtoSchemas } from '../../lib/schema/dto-schemas.js';

class ReadableDto {
  @IsOptional() @IsString() @MinLength(2) @MaxLength(40) @Length(3, 50) title?: string;
  @IsInt() @Min(1) @Max(10) rating: number;
}

describe('DtoSchemas: schemas a reader (and the docs page) can read', () => {
  it('writes the rules of one property as one flat schema', () => {
    const schemas = new DtoSchemas({});
    schemas.refTo(ReadableDto);

    expect(schemas.components.ReadableDto).toEqual({
      title: 'ReadableDto',
      type: 'object',
      properties: {
        title: {
          type: ['string', 'null'],
          minLength: 3,
          if: { pattern: '[\\uFE0E\\uFE0F]' },
          then: { pattern: expect.stringMatching(/\{3,40\}\$$/) },
          else: { maxLength: 40 },
        },
        rating: { type: 'integer', minimum: 1, maximum: 10 },
      },
      required: ['rating'],
    });
  });
});
