import type { Type } from '@nestjs/common';
import { TransformationType, type ClassTransformOptions } from 'class-transformer';
import { getMetadataStorage, ValidationTypes, type MetadataStorage, type ValidatorOptions } from 'class-validator';
import type { SocketReplyType } from '../interfaces/socket-reply-type.interface.js';
import { toPlain, UnserializableValueError } from '../protocol/to-plain.js';
import { transformerMetadata } from './class-transformer-storage.js';
import { label } from './value-reader.js';

/** One rule a value sent to clients breaks: where, and what (never the value itself, which may be a secret). */
export interface OutputViolation {
  /** Dotted as in `VALIDATION_ERROR` (`address.city`, `items.0.name`); `''` for the whole value. */
  path: string;
  /** The names of the constraints it fails (`isEmail`), or what is wrong with its shape. */
  problems: string[];
}

/**
 * Turns what a handler returns into the JSON value sent for its declared type: only the properties
 * the DTO declares (at every depth its `@Type` names a DTO), class instances read through their
 * getters, Dates as JSON writes them. Each rule the value breaks is pushed to `violations`. Throws
 * `UnserializableValueError` for what JSON cannot carry as it is, as `toPlain` does.
 */
export type OutputProjector = (value: unknown, violations: OutputViolation[]) => unknown;

type ValidationMetadata = ReturnType<MetadataStorage['getTargetValidationMetadatas']>[number];

interface Constraint {
  name: string;
  each: boolean;
  constraints: unknown[];
  validate: (value: unknown, args: object) => unknown;
}

interface DeclaredProperty {
  name: string;
  /** `@IsOptional`, `@ValidateIf`: all must hold for the property to be validated. */
  conditions: Array<(object: object, value: unknown) => boolean>;
  /** `@IsDefined`: checked whatever the skip options say, as class-validator does. */
  defined: Constraint[];
  constraints: Constraint[];
  /** `@ValidateNested()`: the nested DTO is validated (it is projected whenever `@Type` names one). */
  validatesNested: boolean;
  /** The DTO `@Type` names, compiled: the value is projected to it (an array item by item). */
  nested?: CompiledDto;
}

interface CompiledDto {
  type: Type<object>;
  properties: DeclaredProperty[];
}

/**
 * A property of a reply DTO whose value class-transformer would change on the way out, or whose
 * nested type is chosen at run time: the projection cannot say what is sent. A startup error.
 */
export class OutputShapeError extends Error {
  constructor(problem: string) {
    super(problem);
    this.name = 'OutputShapeError';
  }
}

// The types `@Type` may name that are values, not DTOs: kept as they are.
const BUILT_IN_TYPES = new Set<unknown>([String, Number, Boolean, Date, Object, Array, Map, Set, Promise]);

/**
 * Compiles, once per declared type, the projection of what is sent: the DTO's declared properties
 * are those with a class-validator decorator under `validator`'s groups (the properties the
 * generated document lists), read with the constraint objects class-validator would call.
 * Asynchronous constraints are not run (a reply is not held back for them). Throws
 * `OutputShapeError` for a DTO the projection cannot follow.
 */
export function compileOutputProjector(
  type: SocketReplyType,
  validator: ValidatorOptions,
  serialization: ClassTransformOptions | undefined,
): OutputProjector {
  const projection = new ProjectorCompiler(validator).projectorOf(type);
  return new OutputWalk(validator, serialization, projection).run;
}

/** What a value is projected to: a compiled DTO, an array of a projection, or a primitive (checked, kept). */
type Projection =
  | { kind: 'dto'; dto: CompiledDto }
  | { kind: 'array'; item: Projection }
  | { kind: 'primitive'; type: 'number' | 'string' | 'boolean' };

/** Reads the metadata of a declared type's DTOs once, each compiled once (a DTO nesting itself included). */
class ProjectorCompiler {
  private readonly storage = getMetadataStorage();
  private readonly compiled = new Map<Type<object>, CompiledDto>();

  constructor(private readonly validator: ValidatorOptions) {}

  projectorOf(type: SocketReplyType): Projection {
    if (Array.isArray(type)) return { kind: 'array', item: this.projectorOf(type[0] as SocketReplyType) };
    if (type === Number) return { kind: 'primitive', type: 'number' };
    if (type === String) return { kind: 'primitive', type: 'string' };
    if (type === Boolean) return { kind: 'primitive', type: 'boolean' };
    return { kind: 'dto', dto: this.dto(type as Type<object>) };
  }

  private dto(type: Type<object>): CompiledDto {
    const known = this.compiled.get(type);
    if (known) return known;
    const dto: CompiledDto = { type, properties: [] };
    // Registered before its properties, so that a DTO nesting itself refers to itself.
    this.compiled.set(type, dto);
    this.assertNoClassTransforms(type);
    const { always = false, strictGroups = false, groups } = this.validator;
    const metadatas = this.storage.getTargetValidationMetadatas(type, '', always, strictGroups, groups);
    if (metadatas.length === 0) {
      throw new OutputShapeError(
        `${type.name} declares no property (no class-validator decorator): its projection would send {}. ` +
          'Decorate the properties to send (@Allow() for one without rules).',
      );
    }
    for (const [name, group] of Object.entries(this.storage.groupByPropertyName(metadatas))) {
      if (isExcluded(type, name)) continue;
      dto.properties.push(this.property(type, name, group));
    }
    return dto;
  }

  private property(type: Type<object>, name: string, group: ValidationMetadata[]): DeclaredProperty {
    if (transformerMetadata.findTransformMetadatas(type, name, TransformationType.CLASS_TO_PLAIN).length > 0) {
      throw new OutputShapeError(`${type.name}.${name} has a @Transform: the projection sends values as they are.`);
    }
    const exposed = transformerMetadata.findExposeMetadata(type, name) as { options?: { name?: string } } | undefined;
    if (exposed?.options?.name !== undefined) {
      throw new OutputShapeError(`${type.name}.${name} is renamed by @Expose: the projection keeps property names.`);
    }
    const conditions = group
      .filter((metadata) => metadata.type === ValidationTypes.CONDITIONAL_VALIDATION)
      .map((metadata) => metadata.constraints[0] as (object: object, value: unknown) => boolean);
    return {
      name,
      conditions,
      defined: this.constraints(group.filter((metadata) => metadata.type === ValidationTypes.IS_DEFINED)),
      constraints: this.constraints(group.filter((metadata) => metadata.type === ValidationTypes.CUSTOM_VALIDATION)),
      validatesNested: group.some((metadata) => metadata.type === ValidationTypes.NESTED_VALIDATION),
      nested: this.nestedDto(type, name),
    };
  }

  private constraints(metadatas: ValidationMetadata[]): Constraint[] {
    const constraints: Constraint[] = [];
    for (const metadata of metadatas) {
      for (const constraint of this.storage.getTargetValidatorConstraints(metadata.constraintCls)) {
        if (constraint.async) continue;
        const instance = constraint.instance as { validate: Constraint['validate'] };
        constraints.push({
          name: metadata.name ?? constraint.name,
          each: metadata.each ?? false,
          constraints: (metadata.constraints ?? []) as unknown[],
          validate: (value, args) => instance.validate(value, args),
        });
      }
    }
    return constraints;
  }

  private nestedDto(type: Type<object>, property: string): CompiledDto | undefined {
    const typeMetadata = transformerMetadata.findTypeMetadata(type, property) as
      { typeFunction: () => unknown; options?: { discriminator?: unknown } } | undefined;
    if (!typeMetadata) return undefined;
    if (typeMetadata.options?.discriminator) {
      throw new OutputShapeError(
        `${type.name}.${property}: a @Type with a discriminator chooses the class at run time; the projection cannot.`,
      );
    }
    const nested = typeMetadata.typeFunction();
    if (typeof nested !== 'function' || BUILT_IN_TYPES.has(nested)) return undefined;
    return this.dto(nested as Type<object>);
  }

  private assertNoClassTransforms(type: Type<object>): void {
    if (transformerMetadata.getStrategy(type) === 'excludeAll') {
      throw new OutputShapeError(
        `${type.name} is @Exclude()d as a whole: the projection sends the declared properties instead.`,
      );
    }
  }
}

/** An `@Exclude()` that applies when sending: the property is left out of the projection too. */
function isExcluded(type: Type<object>, property: string): boolean {
  const excluded = transformerMetadata.findExcludeMetadata(type, property) as
    { options?: { toClassOnly?: boolean } } | undefined;
  return excluded !== undefined && !excluded.options?.toClassOnly;
}

/** Walks each value sent along the compiled projection, with the skip options the handler validates with. */
class OutputWalk {
  private readonly skipUndefined: boolean;
  private readonly skipNull: boolean;

  constructor(
    validator: ValidatorOptions,
    private readonly serialization: ClassTransformOptions | undefined,
    private readonly projection: Projection,
  ) {
    this.skipUndefined = validator.skipUndefinedProperties === true || validator.skipMissingProperties === true;
    this.skipNull = validator.skipNullProperties === true || validator.skipMissingProperties === true;
  }

  readonly run: OutputProjector = (value, violations) => this.as(this.projection, value, '', violations);

  private as(projection: Projection, value: unknown, path: string, violations: OutputViolation[]): unknown {
    switch (projection.kind) {
      case 'primitive':
        if (typeof value !== projection.type) report(violations, path, `must be a ${projection.type}`);
        return this.plain(value, path);
      case 'array':
        if (!Array.isArray(value)) {
          report(violations, path, 'must be an array');
          return this.as(projection.item, value, path, violations);
        }
        return value.map((item, index) => this.as(projection.item, item, join(path, String(index)), violations));
      case 'dto':
        if (typeof value !== 'object' || value === null || Array.isArray(value)) {
          report(violations, path, 'must be an object');
        }
        return this.nested(projection.dto, value, path, violations, true);
    }
  }

  /**
   * A value where `dto` is declared: an object is projected to it; an array item by item (as
   * `@ValidateNested` walks it); anything else is sent as it is (it holds no property to hide).
   */
  private nested(
    dto: CompiledDto,
    value: unknown,
    path: string,
    violations: OutputViolation[],
    validate: boolean,
  ): unknown {
    if (typeof value !== 'object' || value === null) return this.plain(value, path);
    if (Array.isArray(value)) {
      return value.map((item, index) => this.nested(dto, item, join(path, String(index)), violations, validate));
    }
    return this.dto(dto, value as Record<string, unknown>, path, violations, validate);
  }

  private dto(
    dto: CompiledDto,
    object: Record<string, unknown>,
    path: string,
    violations: OutputViolation[],
    validate: boolean,
  ): Record<string, unknown> {
    const projected: Record<string, unknown> = {};
    for (const property of dto.properties) {
      // Read once: a getter of a class instance runs here, as JSON.stringify would run it.
      const value = object[property.name];
      if (validate) this.check(dto, property, object, value, path, violations);
      if (value === undefined) continue;
      // Paths are joined only where they may be needed: nothing is built for a flat DTO that passes.
      const sent = property.nested
        ? this.nested(
            property.nested,
            value,
            join(path, property.name),
            violations,
            validate && property.validatesNested,
          )
        : this.plain(value, path, property.name);
      // JSON leaves out a nested function or symbol, as JavaScript expects of an absent key.
      if (sent !== undefined) projected[property.name] = sent;
    }
    return projected;
  }

  /**
   * class-validator's `performValidations` for one property of the object at `parent`, with the
   * constraint objects it would call (no promises, no error objects; a list only once one fails).
   */
  private check(
    dto: CompiledDto,
    property: DeclaredProperty,
    object: object,
    value: unknown,
    parent: string,
    violations: OutputViolation[],
  ): void {
    for (const condition of property.conditions) if (!condition(object, value)) return;
    let failed = this.runConstraints(dto, property, property.defined, object, value, undefined);
    const skipped = (value === undefined && this.skipUndefined) || (value === null && this.skipNull);
    if (!skipped) {
      failed = this.runConstraints(dto, property, property.constraints, object, value, failed);
      if (property.validatesNested && (typeof value !== 'object' || value === null)) {
        (failed ??= []).push('must be either object or array');
      }
    }
    if (failed) violations.push({ path: join(parent, property.name), problems: failed });
  }

  private runConstraints(
    dto: CompiledDto,
    property: DeclaredProperty,
    constraints: Constraint[],
    object: object,
    value: unknown,
    failed: string[] | undefined,
  ): string[] | undefined {
    for (const constraint of constraints) {
      const args = {
        targetName: dto.type.name,
        property: property.name,
        object,
        value,
        constraints: constraint.constraints,
      };
      if (
        !(constraint.each && Array.isArray(value)
          ? everyPasses(constraint, value, args)
          : passes(constraint, value, args))
      ) {
        (failed ??= []).push(constraint.name);
      }
    }
    return failed;
  }

  /**
   * A value sent as it is, as `toPlain` sends it (Dates as JSON writes them, without
   * class-transformer); `key`, when given, is its property in the object at `path`.
   */
  private plain(value: unknown, path: string, key?: string): unknown {
    switch (typeof value) {
      case 'number':
        if (!Number.isFinite(value)) throw new UnserializableValueError(`${value} at ${where(path, key)}`);
        return value;
      case 'bigint':
        throw new UnserializableValueError(`the BigInt ${value}n at ${where(path, key)}`);
      case 'object':
        if (value === null) return value;
        // What Date's toJSON gives: an invalid date is null.
        if (value instanceof Date) return Number.isNaN(value.getTime()) ? null : value.toISOString();
        return toPlain(value, this.serialization);
      case 'function':
      case 'symbol':
        return undefined;
      default:
        return value;
    }
  }
}

/**
 * Truthy passes, as in class-validator. A constraint that throws fails. A Promise (an asynchronous
 * constraint not marked `async`) is not awaited: it passes, and its rejection is absorbed.
 */
function passes(constraint: Constraint, value: unknown, args: object): boolean {
  let result: unknown;
  try {
    result = constraint.validate(value, args);
  } catch {
    return false;
  }
  if (result instanceof Promise) {
    result.catch(() => undefined);
    return true;
  }
  return Boolean(result);
}

function everyPasses(constraint: Constraint, items: unknown[], args: object): boolean {
  for (const item of items) if (!passes(constraint, item, args)) return false;
  return true;
}

function where(path: string, key: string | undefined): string {
  return label(key === undefined ? path : join(path, key));
}

function join(path: string, key: string): string {
  return path === '' ? key : `${path}.${key}`;
}

function report(violations: OutputViolation[], path: string, problem: string): void {
  violations.push({ path, problems: [problem] });
}
