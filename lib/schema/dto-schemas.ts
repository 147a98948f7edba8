import type { Type } from '@nestjs/common';
import type { ClassTransformOptions } from 'class-transformer';
import type { ValidatorOptions } from 'class-validator';
import { CHANNEL_PARAM, CONNECTION_PARAM } from '../socket-api.constants.js';
import { ClassSchemaBuilder, type SchemaRegistry } from './class-schema.js';
import { allOf, orNull, type JsonSchema, type UnconstrainedRule } from './json-schema.js';
import { primitiveDataSchema } from './primitive-schemas.js';

/**
 * A handler parameter as `ParamsBinder.params` lists it: `@Data()`, `@Data('name')`, `@Connection()` or
 * `@ChannelParam()`.
 */
export interface DataParam {
  /** `@Data('user')`: `user`; `@Data()`: undefined (the whole `data`). */
  property?: string;
  metatype: unknown;
  /** `CONNECTION_PARAM` and `CHANNEL_PARAM` parameters are not data and are skipped. */
  kind?: string;
  /** Nest pipes on the parameter: they may refuse or change a value the schema cannot know of. */
  pipes?: ReadonlyArray<unknown>;
}

/**
 * JSON Schemas (draft-07 compatible) of DTO classes and of handlers' `data`, read from
 * class-validator's metadata (and class-transformer's `@Type`) with the very validator options the
 * server validates with, so that a schema accepts what the server accepts. Built by hand rather than
 * with class-validator-jsonschema: that library emits OpenAPI 3.0 schemas, ignores groups, the
 * validator options and `@ValidateIf`, and is not installed; the rules here follow the functions
 * class-validator actually runs (see constraint-table.ts).
 *
 * One instance per document: `withOptions` gives a view for a handler whose validator options differ,
 * sharing `components` (a class validated under other options gets its own component name).
 */
export class DtoSchemas {
  /** The schemas of the DTO classes referred to so far, by component name: `components.schemas`. */
  readonly components: Record<string, JsonSchema>;
  /** Every rule a schema could not express: its property is marked `x-unconstrained`. */
  readonly unconstrained: UnconstrainedRule[];
  private readonly builder: ClassSchemaBuilder;

  constructor(
    validator: ValidatorOptions,
    transformer: ClassTransformOptions = {},
    registry?: SchemaRegistry,
    strictInput = false,
  ) {
    this.builder = new ClassSchemaBuilder(validator, transformer, registry, strictInput);
    this.components = this.builder.registry.components;
    this.unconstrained = this.builder.registry.unconstrained;
  }

  /**
   * A view validating with other options (a handler's `validation` merged over the module's), same
   * components; `strictInput`: its DTOs are closed (`additionalProperties: false`), in components of their own.
   */
  withOptions(validator: ValidatorOptions, transformer: ClassTransformOptions = {}, strictInput = false): DtoSchemas {
    return new DtoSchemas(validator, transformer, this.builder.registry, strictInput);
  }

  /** `{ $ref: '#/components/schemas/<Name>' }`; the class and the DTOs it nests are added to `components`. */
  refTo(type: Type<object>): JsonSchema {
    return this.builder.refTo(type);
  }

  /**
   * The schema of a handler's whole `data`, from its `@Data()` parameters, as `ParamsBinder` reads
   * them: `data` arrives as `{}` when the frame has none (or `null`); `@Data()` reads all of it;
   * `@Data('name')` needs `data` to be an object and reads one property of it. `handler` names the
   * handler in `unconstrained`. The schema is of `data` as sent: it accepts `null` when the server
   * accepts `{}` (see `dataRequired` for a frame without `data`).
   */
  dataSchema(params: ReadonlyArray<DataParam>, handler = '(handler data)'): JsonSchema {
    const parts: JsonSchema[] = [];
    const properties: Record<string, JsonSchema[]> = {};
    const required = new Set<string>();
    for (const param of params) {
      if (!isData(param)) continue;
      if (param.pipes && param.pipes.length > 0) {
        this.builder.report(handler, param.property ?? '(data)', 'pipes', 'a pipe may refuse or change the value');
      }
      const read = this.valueSchema(param.metatype);
      if (param.property === undefined) {
        parts.push(read.schema);
        continue;
      }
      (properties[param.property] ??= []).push(read.schema);
      if (read.required) required.add(param.property);
    }
    const named = Object.keys(properties);
    if (named.length > 0) {
      // Strict input refuses keys no `@Data('name')` reads, unless a `@Data()` reads the whole `data`.
      const closed = this.builder.strict && parts.length === 0;
      parts.push({
        type: 'object',
        properties: Object.fromEntries(named.map((name) => [name, allOf(properties[name])])),
        ...(required.size > 0 ? { required: [...required] } : {}),
        ...(closed ? { additionalProperties: false } : {}),
      });
    }
    const schema = allOf(parts);
    return this.dataRequired(params) ? schema : orNull(schema);
  }

  /** Whether a frame must carry `data`: false when the server accepts the `{}` that a missing `data` becomes. */
  dataRequired(params: ReadonlyArray<DataParam>): boolean {
    return params.some((param) => {
      if (!isData(param)) return false;
      if (primitiveDataSchema(param.metatype)) return param.property === undefined && param.metatype !== Object;
      if (typeof param.metatype !== 'function') return false;
      // A DTO under a property is read from `undefined` and refused; a whole-data DTO reads `{}`.
      return param.property !== undefined || !this.builder.acceptsEmptyObject(param.metatype as Type<object>);
    });
  }

  /** What one parameter accepts, and whether `data` must hold it (a DTO's reader refuses `undefined`). */
  private valueSchema(metatype: unknown): { schema: JsonSchema; required: boolean } {
    const primitive = primitiveDataSchema(metatype);
    if (primitive) return { schema: primitive, required: false };
    if (typeof metatype !== 'function') return { schema: {}, required: false };
    return { schema: this.refTo(metatype as Type<object>), required: true };
  }
}

/** Whether the parameter reads the frame's `data`: the connection and the channel's parameters come from elsewhere. */
function isData(param: DataParam): boolean {
  return param.kind !== CONNECTION_PARAM && param.kind !== CHANNEL_PARAM;
}
