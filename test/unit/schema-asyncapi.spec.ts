import 'reflect-metadata';
import { Parser } from '@asyncapi/parser';
import { Type } from 'class-transformer';
import {
  ArrayUnique,
  IsEmail,
  IsInt,
  IsOptional,
  IsString,
  Length,
  ValidateIf,
  ValidateNested,
  type ValidatorOptions,
} from 'class-validator';
import { DtoSchemas } from '../../lib/schema/dto-schemas.js';

class LeafDto {
  @IsString() @Length(1, 9) name: string;
}

/** One of each shape the converter writes: lengths, `each`, nested arrays, recursion, reported rules. */
class ShapesDto {
  @IsOptional() @IsInt({ each: true }) numbers?: number[];
  @ValidateNested({ each: true }) @Type(() => LeafDto) leaves: LeafDto[];
  @IsOptional() @ValidateNested() @Type(() => ShapesDto) next?: ShapesDto;
  @IsEmail() email: string;
  @ArrayUnique() unique: unknown[];
  @ValidateIf((object: ShapesDto) => object.email !== '') @IsString() reason?: string;
}

function documentWith(schemas: DtoSchemas, data: Record<string, unknown>): string {
  return JSON.stringify({
    asyncapi: '3.0.0',
    info: { title: 'schemas', version: '1.0.0' },
    channels: { shapes: { address: 'shapes', messages: { request: { $ref: '#/components/messages/request' } } } },
    operations: {
      shapes: { action: 'receive', channel: { $ref: '#/channels/shapes' } },
    },
    components: {
      schemas: schemas.components,
      messages: {
        request: { payload: { type: 'object', properties: { type: { const: 'action' }, data } } },
      },
    },
  });
}

describe('DtoSchemas: components an AsyncAPI 3.0 parser reads without a diagnostic', () => {
  it.each<[string, ValidatorOptions]>([
    ['no options', {}],
    [
      'whitelist + forbidNonWhitelisted, skipNullProperties',
      { whitelist: true, forbidNonWhitelisted: true, skipNullProperties: true },
    ],
  ])('%s', async (_label, options) => {
    const schemas = new DtoSchemas(options);
    const data = schemas.dataSchema([{ metatype: ShapesDto }]);

    const diagnostics = await new Parser().validate(documentWith(schemas, data));

    expect(
      diagnostics
        .filter((diagnostic) => Number(diagnostic.severity) <= 1)
        .map((d) => `${d.code}: ${d.message} at ${d.path.join('.')}`),
    ).toEqual([]);
    expect(Object.keys(schemas.components).sort()).toEqual(['LeafDto', 'ShapesDto']);
  });
});
