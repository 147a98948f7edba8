import type { Type } from '@nestjs/common';
import { getMetadataStorage, ValidationTypes, type ValidatorOptions } from 'class-validator';
import type { FieldError } from '../protocol/errors.js';
import { OPEN_OBJECT_METADATA } from '../socket-api.constants.js';
import { transformerMetadata } from './class-transformer-storage.js';
import { nestedTypeOf } from './nested-type.js';

/**
 * Adds to `errors` one entry per key of `value` that its DTO does not declare, at every depth where
 * class-validator validates a nested DTO; `path` is where `value` is (`''`: the whole `data`).
 */
export type UnknownKeysCheck = (value: unknown, path: string, errors: FieldError[]) => void;

/** The keys one DTO class declares, and how the value under each is walked. */
interface KeyPlan {
  /** A declared key: the nested DTO its value holds, walked, or `null`: a value not walked. */
  readonly known: Map<string, NestedPlan | null>;
  /** `@OpenObject()`: keys it does not declare are accepted (its declared nested DTOs are still walked). */
  readonly open: boolean;
}

interface NestedPlan {
  readonly plan: KeyPlan;
  /** A `Map` property: the value is an object whose keys are free and whose values are the DTO. */
  readonly map: boolean;
}

/**
 * Compiles, once per DTO and set of validator options, the check of strict input: what a key of the
 * data must be is what `whitelist` counts as declared (a property with a class-validator rule under
 * these options' groups), and the walk goes down exactly where class-validator validates a nested
 * DTO (`@ValidateNested()` with `@Type` naming a class), item by item in arrays (nested arrays too),
 * value by value under a `Map` property. A property without both (a free-form `Record<string,
 * unknown>`, a `@Type` chosen by a discriminator) is not walked. Paths are those of
 * `forbidNonWhitelisted`, as `collectErrors` writes them (`items.2.label`), and so is the message.
 * `root`: keys of the top object declared elsewhere (`@Data('name')` beside a `@Data()` DTO), or
 * that the top object is free-form (another parameter reads all of it unchecked).
 *
 * Flat data allocates nothing but its error entries; the prototype keys (`__proto__`, `constructor`,
 * `prototype`) are unknown like any other undeclared key.
 */
export function compileUnknownKeys(
  type: Type<object>,
  options: ValidatorOptions,
  root: { rootKeys?: readonly string[]; openRoot?: boolean } = {},
): UnknownKeysCheck {
  const { rootKeys = [], openRoot = false } = root;
  const declared = planOf(type, options, new Map());
  const plan = rootKeys.length === 0 && !openRoot ? declared : withKeys(declared, rootKeys, openRoot);
  return (value, path, errors) => walkRoot(plan, value, path, errors);
}

/** The check of a `data` read property by property (`@Data('name')` only): other keys are unknown. */
export function compileUnknownDataKeys(names: readonly string[]): UnknownKeysCheck {
  const plan: KeyPlan = { known: new Map(names.map((name) => [name, null])), open: false };
  return (value, path, errors) => walkRoot(plan, value, path, errors);
}

/** class-validator's message for a key `forbidNonWhitelisted` refuses: a client sees the same words. */
export function unknownKeyMessage(key: string): string {
  return `property ${key} should not exist`;
}

function planOf(type: Type<object>, options: ValidatorOptions, plans: Map<Type<object>, KeyPlan>): KeyPlan {
  const existing = plans.get(type);
  if (existing) return existing;
  const known = new Map<string, NestedPlan | null>();
  const plan: KeyPlan = { known, open: Reflect.getMetadata(OPEN_OBJECT_METADATA, type) === true };
  // Registered before it is filled, so that a DTO nesting itself (a tree) refers to its own plan.
  plans.set(type, plan);
  const storage = getMetadataStorage();
  const { always = false, strictGroups = false, groups } = options;
  const grouped = storage.groupByPropertyName(
    storage.getTargetValidationMetadatas(type, '', always, strictGroups, groups),
  );
  for (const [property, metadatas] of Object.entries(grouped)) {
    const nestedType = metadatas.some((metadata) => metadata.type === ValidationTypes.NESTED_VALIDATION)
      ? nestedTypeOf(type, property)
      : undefined;
    const nested =
      typeof nestedType === 'function'
        ? {
            plan: planOf(nestedType, options, plans),
            map: Reflect.getMetadata('design:type', type.prototype as object, property) === Map,
          }
        : null;
    known.set(property, nested);
  }
  // `@Expose({ name })`: class-transformer reads the property from the data under that name.
  for (const exposed of transformerMetadata.getExposedMetadatas(type)) {
    const { name, toPlainOnly } = exposed.options;
    const property = exposed.propertyName;
    if (name !== undefined && !toPlainOnly && property !== undefined && known.has(property)) {
      known.set(name, known.get(property) ?? null);
    }
  }
  return plan;
}

function withKeys(plan: KeyPlan, keys: readonly string[], open: boolean): KeyPlan {
  const known = new Map(plan.known);
  for (const key of keys) if (!known.has(key)) known.set(key, null);
  return { known, open: plan.open || open };
}

/** The keys a DTO declares under these options: what strict input accepts at its top. */
export function declaredKeys(type: Type<object>, options: ValidatorOptions): string[] {
  return [...planOf(type, options, new Map()).known.keys()];
}

/** The top: only an object is walked (the reader refuses an array or a primitive where a DTO is read). */
function walkRoot(plan: KeyPlan, value: unknown, path: string, errors: FieldError[]): void {
  if (typeof value === 'object' && value !== null && !Array.isArray(value)) walkValue(plan, value, path, errors);
}

/** A value where a DTO is expected: an object is walked, an array item by item; anything else is the validator's. */
function walkValue(plan: KeyPlan, value: unknown, path: string, errors: FieldError[]): void {
  if (typeof value !== 'object' || value === null) return;
  if (Array.isArray(value)) {
    for (let i = 0; i < value.length; i++) walkValue(plan, value[i], `${path}.${i}`, errors);
    return;
  }
  const object = value as Record<string, unknown>;
  // `data` comes from JSON.parse: its keys are its own, enumerable, and for…in lists them without an array.
  for (const key in object) {
    const nested = plan.known.get(key);
    if (nested === undefined) {
      if (!plan.open && Object.hasOwn(object, key)) {
        errors.push({ path: join(path, key), messages: [unknownKeyMessage(key)] });
      }
    } else if (nested !== null) {
      const child = object[key];
      if (typeof child === 'object' && child !== null) {
        if (nested.map && !Array.isArray(child))
          walkMap(nested.plan, child as Record<string, unknown>, join(path, key), errors);
        else walkValue(nested.plan, child, join(path, key), errors);
      }
    }
  }
}

/** A `Map` property's object: its keys are the map's, free; each value is a DTO (or an array of them). */
function walkMap(plan: KeyPlan, object: Record<string, unknown>, path: string, errors: FieldError[]): void {
  for (const key in object) walkValue(plan, object[key], join(path, key), errors);
}

function join(path: string, key: string): string {
  return path === '' ? key : `${path}.${key}`;
}
