import type { Type } from '@nestjs/common';
import { TransformationType, type ClassTransformOptions } from 'class-transformer';
import { getMetadataStorage, ValidationTypes, type MetadataStorage, type ValidatorOptions } from 'class-validator';
import { OPEN_OBJECT_METADATA } from '../socket-api.constants.js';
import { transformerMetadata } from '../validation/class-transformer-storage.js';
import { nestedTypeOf } from '../validation/nested-type.js';
import {
  constraintSchema,
  intersectLengths,
  lengthBounds,
  lengthSchema,
  STRIPPED_KEYS,
  type LengthBounds,
} from './constraint-table.js';
import { allOf, NOTHING, orNull, type JsonSchema, type UnconstrainedRule } from './json-schema.js';

type ValidationMetadata = ReturnType<MetadataStorage['getTargetValidationMetadatas']>[number];

/** What the views of one document share: the components, their names, what could not be expressed. */
export interface SchemaRegistry {
  components: Record<string, JsonSchema>;
  unconstrained: UnconstrainedRule[];
  /** Component name by options key, then class. */
  names: Map<string, Map<Type<object>, string>>;
}

// Validator options that decide which values pass; the others (messages, stopAtFirstError…) do not.
const DECISIVE_OPTIONS = [
  'skipMissingProperties',
  'skipNullProperties',
  'skipUndefinedProperties',
  'whitelist',
  'forbidNonWhitelisted',
  'groups',
  'always',
  'strictGroups',
  'forbidUnknownValues',
] as const;

const VALIDATE_IF = '@ValidateIf';

/** Builds the component schema of each DTO class under one set of validator options. */
export class ClassSchemaBuilder {
  readonly registry: SchemaRegistry;
  private readonly names: Map<Type<object>, string>;
  private readonly storage = getMetadataStorage();
  /** The transformer options set: each changes the data before validation, and is reported. */
  private readonly transformerChanges: string[];

  constructor(
    private readonly options: ValidatorOptions,
    transformer: ClassTransformOptions,
    registry?: SchemaRegistry,
    /** Strict input (`strictInput`): every DTO but an `@OpenObject()` one is closed, `additionalProperties: false`. */
    readonly strict = false,
  ) {
    this.registry = registry ?? { components: {}, unconstrained: [], names: new Map() };
    const key = JSON.stringify([DECISIVE_OPTIONS.map((option) => options[option]), transformer, strict]);
    this.names = this.registry.names.get(key) ?? new Map<Type<object>, string>();
    this.registry.names.set(key, this.names);
    this.transformerChanges = Object.keys(transformer).filter((option) => transformer[option as never] !== undefined);
  }

  refTo(type: Type<object>): JsonSchema {
    return { $ref: `#/components/schemas/${this.componentName(type)}` };
  }

  /** Whether the server accepts `{}` as an instance of `type`: it has properties and none is required. */
  acceptsEmptyObject(type: Type<object>): boolean {
    const schema = this.registry.components[this.componentName(type)];
    return schema.type === 'object' && !Array.isArray(schema.required);
  }

  report(className: string, property: string, decorator: string, reason: string): void {
    const known = this.registry.unconstrained.some(
      (rule) => rule.className === className && rule.property === property && rule.decorator === decorator,
    );
    if (!known) this.registry.unconstrained.push({ className, property, decorator, reason });
  }

  private componentName(type: Type<object>): string {
    const existing = this.names.get(type);
    if (existing) return existing;
    const base = type.name.replace(/[^A-Za-z0-9._-]/g, '_') || 'Anonymous';
    let name = base;
    for (let n = 2; name in this.registry.components; n++) name = `${base}_${n}`;
    // Named (and reserved) before it is built, so that a DTO nesting itself refers to its own name.
    this.names.set(type, name);
    this.registry.components[name] = {};
    Object.assign(this.registry.components[name], this.classSchema(type));
    return name;
  }

  private classSchema(type: Type<object>): JsonSchema {
    const title = type.name;
    const { always = false, strictGroups = false, groups, forbidUnknownValues } = this.options;
    const metadatas = this.storage.getTargetValidationMetadatas(type, '', always, strictGroups, groups);
    if (metadatas.length === 0 && forbidUnknownValues !== false) {
      return {
        title,
        ...NOTHING,
        description: 'No validation rule applies under these options: class-validator refuses every value.',
      };
    }
    for (const option of this.transformerChanges) {
      this.report(title, '*', `transformer.${option}`, 'class-transformer options change the data before validation');
    }
    if (this.hasClassTransforms(type)) {
      this.report(title, '*', '@Expose/@Exclude', 'class-transformer picks which properties are copied');
    }
    const grouped = this.storage.groupByPropertyName(metadatas);
    const defaults = instantiate(type);
    const properties: Record<string, JsonSchema> = {};
    const definitions: Record<string, JsonSchema> = {};
    const required: string[] = [];
    for (const [property, propertyMetadatas] of Object.entries(grouped)) {
      const { schema, isRequired } = this.propertySchema(type, property, propertyMetadatas, defaults, definitions);
      properties[property] = schema;
      if (isRequired) required.push(property);
    }
    const schema: JsonSchema = { title, type: 'object', properties };
    if (required.length > 0) schema.required = required;
    if (Object.keys(definitions).length > 0) schema.definitions = definitions;
    if (this.options.whitelist && this.options.forbidNonWhitelisted) {
      // A property the class sets itself, without rules, is refused even when the data lacks it.
      if (Object.keys(defaults).some((key) => !Object.hasOwn(grouped, key))) {
        return {
          title,
          ...NOTHING,
          description: 'The class sets a property without rules: forbidNonWhitelisted refuses it.',
        };
      }
      Object.assign(schema, closedObject(ignoredKeys(type, defaults)));
    }
    // Strict input refuses every undeclared key, the ones class-transformer would ignore too (see unknown-keys.ts).
    if (this.strict && Reflect.getMetadata(OPEN_OBJECT_METADATA, type) !== true && !this.hasClassTransforms(type)) {
      delete schema.patternProperties;
      schema.additionalProperties = false;
    }
    return schema;
  }

  private propertySchema(
    type: Type<object>,
    property: string,
    metadatas: ValidationMetadata[],
    defaults: Record<string, unknown>,
    definitions: Record<string, JsonSchema>,
  ): { schema: JsonSchema; isRequired: boolean } {
    const className = type.name;
    const unconstrained: string[] = [];
    const note = (decorator: string, reason: string): void => {
      this.report(className, property, decorator, reason);
      unconstrained.push(`${decorator}: ${reason}`);
    };
    const conditions = metadatas.filter((metadata) => metadata.type === ValidationTypes.CONDITIONAL_VALIDATION);
    const isOptional = conditions.some((metadata) => metadata.name === 'isOptional');
    const validateIf = conditions.some((metadata) => metadata.name !== 'isOptional');
    const checks = metadatas.filter(
      (metadata) => metadata.type === ValidationTypes.IS_DEFINED || metadata.type === ValidationTypes.CUSTOM_VALIDATION,
    );
    const isDefined = checks.some((metadata) => metadata.type === ValidationTypes.IS_DEFINED && !metadata.validateIf);
    const { skipMissingProperties, skipNullProperties } = this.options;
    const nested = metadatas.some((metadata) => metadata.type === ValidationTypes.NESTED_VALIDATION);

    const transformed = this.propertyTransform(type, property);
    if (transformed) {
      note(transformed, 'class-transformer changes the value before it is validated');
      return { schema: { 'x-unconstrained': unconstrained }, isRequired: false };
    }

    const whole: JsonSchema[] = [];
    const eachItem: JsonSchema[] = [];
    // Length rules on one value are one range, so that the schema says `minLength` and `maxLength` once.
    const lengths: { whole?: LengthBounds; each?: LengthBounds } = {};
    for (const metadata of checks) {
      const decorator = this.decoratorName(metadata);
      if (metadata.validateIf) {
        note(decorator, 'its validateIf option is a function: the rule applies only when it returns true');
        continue;
      }
      // Only a decorator's own name is looked up: `@Validate(SomeConstraint)` has none and is reported.
      const converted = metadata.name
        ? constraintSchema(metadata.name, (metadata.constraints ?? []) as unknown[])
        : undefined;
      if (!converted) {
        note(decorator, 'a constraint the converter does not know (a custom or unsupported decorator)');
        continue;
      }
      if (converted.unconstrained) note(decorator, converted.unconstrained);
      const bounds = lengthBounds(metadata.name ?? '', (metadata.constraints ?? []) as unknown[]);
      const list = metadata.each ? 'each' : 'whole';
      if (bounds) {
        const known = lengths[list];
        lengths[list] = known ? intersectLengths(known, bounds) : bounds;
      } else {
        (metadata.each ? eachItem : whole).push(converted.schema);
      }
    }
    if (lengths.whole) whole.push(lengthSchema(lengths.whole));
    if (lengths.each) eachItem.push(lengthSchema(lengths.each));
    if (eachItem.length > 0) whole.push(forEachItem(allOf(eachItem), allOf(whole)));
    if (nested) whole.push(this.nestedSchema(type, property, definitions));
    let schema = allOf(whole);

    if (isOptional || ((skipNullProperties || skipMissingProperties) && !isDefined)) schema = orNull(schema);
    let isRequired = false;
    if (validateIf) {
      note(VALIDATE_IF, 'the condition is a function: the rules (x-validated-if) apply only when it returns true');
      schema = { 'x-validated-if': schema };
    } else if (!isOptional || (defaults[property] !== undefined && defaults[property] !== null)) {
      // An absent property is the value the class gives it (usually undefined), validated as any other.
      isRequired = !this.acceptsAbsent(type, checks, nested, defaults[property]);
    }
    if (unconstrained.length > 0) schema = { ...schema, 'x-unconstrained': unconstrained };
    return { schema, isRequired };
  }

  /**
   * What `@ValidateNested()` accepts: class-validator validates an object as its class (the one
   * `@Type` names, an instance of which class-transformer made), and an array item by item, where an
   * item may be an array again, walked the same way, and a `null` item passes when null properties
   * are skipped. That recursion is the class's `definitions` entry for the property, so that a
   * `$ref` can name it.
   */
  private nestedSchema(type: Type<object>, property: string, definitions: Record<string, JsonSchema>): JsonSchema {
    const item = this.nestedItemSchema(type, property);
    const pointer = property.replace(/~/g, '~0').replace(/\//g, '~1');
    const items = { $ref: `#/components/schemas/${this.names.get(type)}/definitions/${pointer}` };
    const { skipNullProperties, skipMissingProperties } = this.options;
    const nullItem = skipNullProperties || skipMissingProperties ? [{ type: 'null' }] : [];
    definitions[property] = { anyOf: [item, ...nullItem, { type: 'array', items }] };
    return { anyOf: [item, { type: 'array', items }] };
  }

  private nestedItemSchema(type: Type<object>, property: string): JsonSchema {
    const nestedType = nestedTypeOf(type, property);
    if (nestedType === undefined) {
      // A plain object: class-validator finds no rules for `Object`.
      if (this.options.forbidUnknownValues !== false) return NOTHING;
      return this.options.whitelist && this.options.forbidNonWhitelisted
        ? { type: 'object', ...closedObject(ignoredKeys(Object, {})) }
        : { type: 'object' };
    }
    if (nestedType === 'dynamic') {
      this.report(type.name, property, '@Type', 'the nested type is chosen at run time or is not a class');
      return { type: 'object', 'x-unconstrained': ['@Type: the nested type is chosen at run time or is not a class'] };
    }
    return this.refTo(nestedType);
  }

  /** The decorator's registered name, or for `@Validate(Constraint)` the constraint's. */
  private decoratorName(metadata: ValidationMetadata): string {
    const constraint = this.storage.getTargetValidatorConstraints(metadata.constraintCls)[0] as
      { name?: string } | undefined;
    return metadata.name ?? constraint?.name ?? metadata.type;
  }

  /** Whether the server accepts the value a property has when the data lacks it, as `performValidations` decides. */
  private acceptsAbsent(type: Type<object>, checks: ValidationMetadata[], nested: boolean, value: unknown): boolean {
    const { skipMissingProperties, skipNullProperties, skipUndefinedProperties } = this.options;
    const defined = checks.filter((metadata) => metadata.type === ValidationTypes.IS_DEFINED);
    if (!this.accepts(type, defined, value)) return false;
    if (value === undefined && (skipUndefinedProperties || skipMissingProperties)) return true;
    if (value === null && (skipNullProperties || skipMissingProperties)) return true;
    if (nested && value !== undefined && (typeof value !== 'object' || value === null)) return false;
    return this.accepts(type, checks, value);
  }

  /** Whether the constraints pass for `value`, with the constraint objects class-validator would call. */
  private accepts(type: Type<object>, checks: ValidationMetadata[], value: unknown): boolean {
    const object = instantiate(type);
    for (const metadata of checks) {
      if (metadata.validateIf) continue;
      const items = metadata.each && Array.isArray(value) ? (value as unknown[]) : [value];
      for (const constraint of this.storage.getTargetValidatorConstraints(metadata.constraintCls)) {
        for (const item of items) {
          const args = {
            targetName: type.name,
            property: metadata.propertyName,
            object,
            value,
            constraints: metadata.constraints,
          };
          let valid: unknown;
          try {
            valid = (constraint.instance as { validate: (item: unknown, args: unknown) => unknown }).validate(
              item,
              args,
            );
          } catch {
            return false;
          }
          // An asynchronous constraint is unknown to the table and reported: it does not make the property required.
          if (!(valid instanceof Promise) && !valid) return false;
        }
      }
    }
    return true;
  }

  /** The class-transformer decorator that changes this property's value, if any (`@Type` to a class does not). */
  private propertyTransform(type: Type<object>, property: string): string | undefined {
    if (transformerMetadata.findTransformMetadatas(type, property, TransformationType.PLAIN_TO_CLASS).length > 0) {
      return '@Transform';
    }
    const excluded = transformerMetadata.findExcludeMetadata(type, property) as
      { options?: { toPlainOnly?: boolean } } | undefined;
    if (excluded && !excluded.options?.toPlainOnly) return '@Exclude';
    const typeMetadata = transformerMetadata.findTypeMetadata(type, property) as
      { typeFunction: () => unknown } | undefined;
    if (!typeMetadata) return undefined;
    try {
      const target = typeMetadata.typeFunction();
      return CONVERTING_TYPES.has(target) ? '@Type' : undefined;
    } catch {
      return undefined;
    }
  }

  private hasClassTransforms(type: Type<object>): boolean {
    return (
      transformerMetadata.getStrategy(type) !== 'none' ||
      transformerMetadata.getExposedMetadatas(type).length > 0 ||
      transformerMetadata.getExcludedMetadatas(type).length > 0
    );
  }
}

// @Type(() => Number) and kin convert a primitive (Number('5')): the value validated is not the one sent.
const CONVERTING_TYPES = new Set<unknown>([String, Number, Boolean, Date]);

/** `each: true` rules: on every item of an array, or on the value itself when it is not an array. */
function forEachItem(item: JsonSchema, whole: JsonSchema): JsonSchema {
  if (whole.type === 'array') return { items: item };
  return { if: { type: 'array' }, then: { items: item }, else: item };
}

/** The own properties a new instance of `type` starts with (class-transformer starts from one). */
function instantiate(type: Type<object>): Record<string, unknown> {
  try {
    return { ...(new (type as new () => object)() as Record<string, unknown>) };
  } catch {
    return {};
  }
}

/**
 * Keys of the data that never reach the instance, so that `forbidNonWhitelisted` never sees them:
 * the prototype keys stripped from all data, and those class-transformer does not assign (the
 * class's own prototype members without a setter, and every method, `toString` included).
 */
function ignoredKeys(type: Type<object>, defaults: Record<string, unknown>): string[] {
  const keys = new Set(STRIPPED_KEYS);
  const prototype = type.prototype as object;
  for (const [key, descriptor] of Object.entries(Object.getOwnPropertyDescriptors(prototype))) {
    if (!descriptor.set) keys.add(key);
  }
  for (const [key, value] of Object.entries(defaults)) if (value instanceof Function) keys.add(key);
  for (
    let link = Object.getPrototypeOf(prototype) as object | null;
    link;
    link = Object.getPrototypeOf(link) as object | null
  ) {
    for (const [key, descriptor] of Object.entries(Object.getOwnPropertyDescriptors(link))) {
      if (!Object.hasOwn(defaults, key) && descriptor.value instanceof Function) keys.add(key);
    }
  }
  return [...keys];
}

/** `additionalProperties: false`, except for keys that the server ignores. */
function closedObject(ignored: string[]): JsonSchema {
  const escaped = ignored.map((key) => key.replace(/[.*+?^${}()|[\]\\]/g, '\\$&'));
  return { additionalProperties: false, patternProperties: { [`^(?:${escaped.join('|')})$`]: {} } };
}
