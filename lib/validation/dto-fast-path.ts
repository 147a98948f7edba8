import type { Type } from '@nestjs/common';
import { TransformationType, type ClassTransformOptions } from 'class-transformer';
import {
  getMetadataStorage,
  ValidationTypes,
  type MetadataStorage,
  type ValidationArguments,
  type ValidatorConstraintInterface,
  type ValidatorOptions,
} from 'class-validator';
import { transformerMetadata } from './class-transformer-storage.js';
import { stripProtoKeys } from './strip-proto-keys.js';

/** The fast path cannot decide: build and validate the DTO with class-transformer and class-validator. */
export const FALLBACK = Symbol('fallback');

/**
 * Builds a DTO instance from `data` and tells whether it is valid; `FALLBACK` when it cannot say.
 * Removes the prototype keys from `data` on the way, as `stripProtoKeys` does (all of them, unless it
 * returns `FALLBACK` early: the slow path strips them again).
 */
export type DtoFastPath = (value: object) => object | typeof FALLBACK;

type ValidationMetadata = ReturnType<MetadataStorage['getTargetValidationMetadatas']>[number];

interface PropertyCheck {
  property: string;
  conditions: Array<(object: object, value: unknown) => boolean>;
  constraints: Array<{ metadata: ValidationMetadata; validator: ValidatorConstraintInterface }>;
}

// Options that change which values pass, or how a DTO is built, are left to the libraries.
const NEUTRAL_VALIDATOR_OPTIONS = new Set([
  'forbidUnknownValues',
  'stopAtFirstError',
  'dismissDefaultMessages',
  'validationError',
  'enableDebugMessages',
]);
const SUPPORTED_TYPES = new Set<string>([
  ValidationTypes.CUSTOM_VALIDATION,
  ValidationTypes.IS_DEFINED,
  ValidationTypes.CONDITIONAL_VALIDATION,
]);

/**
 * Compiles, once per DTO, a check that gives the same verdict as `plainToInstance` + `validate`
 * for the common case: synchronous class-validator constraints on the DTO's own properties, no
 * class-transformer decorators. It calls the very constraint objects class-validator would call, with
 * the same arguments; it only skips the per-call metadata lookups, promises and error objects.
 * It never reports errors itself: an invalid value goes down the slow path, so error paths and
 * messages are class-validator's own. Returns `undefined` for a DTO it does not cover.
 */
export function compileDtoFastPath(
  type: Type<object>,
  validatorOptions: ValidatorOptions,
  transformerOptions: ClassTransformOptions,
): DtoFastPath | undefined {
  if (Object.keys(transformerOptions).length > 0) return undefined;
  if (Object.keys(validatorOptions).some((option) => !NEUTRAL_VALIDATOR_OPTIONS.has(option))) return undefined;
  if (hasClassLevelTransforms(type)) return undefined;
  const checks = compileChecks(type);
  if (!checks) return undefined;
  const blocked = blockedKeys(type);
  // The DTO's validated properties, each with whether it is blocked: one lookup per key of the data.
  const known = new Map(checks.map((check) => [check.property, blocked.has(check.property)]));
  const targetName = type.name;

  return (value) => {
    const data = value as Record<string, unknown>;
    const instance = new type() as Record<string, unknown>;
    for (const key of Object.keys(data)) {
      // What stripProtoKeys does, in the walk that copies: the DTO's data is not walked twice.
      if (key === '__proto__' || key === 'prototype' || key === 'constructor') {
        delete data[key];
        continue;
      }
      const child = data[key];
      if (typeof child === 'object' && child !== null) stripProtoKeys(child);
      let isBlocked = known.get(key);
      if (isBlocked === undefined) {
        if (hasPropertyTransforms(type, key)) return FALLBACK;
        isBlocked = blocked.has(key);
      }
      // class-transformer leaves these keys alone: prototype keys without a setter, and methods.
      if (isBlocked || instance[key] instanceof Function) continue;
      // Without type metadata, class-transformer copies a nested JSON value to an equal one.
      instance[key] = child;
    }
    return passes(instance, checks, targetName) ? instance : FALLBACK;
  };
}

function passes(instance: Record<string, unknown>, checks: PropertyCheck[], targetName: string): boolean {
  for (const { property, conditions, constraints } of checks) {
    const value = instance[property];
    if (!conditionsHold(conditions, instance, value)) continue;
    for (const { metadata, validator } of constraints) {
      const args: ValidationArguments = {
        targetName,
        property,
        object: instance,
        value,
        constraints: metadata.constraints,
      };
      const valid = validator.validate(value, args);
      // A promise (a constraint that is async without saying so) is class-validator's to await.
      if (valid !== true) return false;
    }
  }
  return true;
}

/** `conditions.every(...)` without a closure per property and frame: `@ValidateIf` conditions, in order. */
function conditionsHold(conditions: PropertyCheck['conditions'], instance: object, value: unknown): boolean {
  for (let i = 0; i < conditions.length; i++) {
    if (!conditions[i](instance, value)) return false;
  }
  return true;
}

/** class-validator's own metadata, in the order it evaluates it, or undefined if any is unsupported. */
function compileChecks(type: Type<object>): PropertyCheck[] | undefined {
  const storage = getMetadataStorage();
  const metadatas = storage.getTargetValidationMetadatas(type, '', false, false);
  if (metadatas.some((metadata) => !SUPPORTED_TYPES.has(metadata.type) || metadata.each)) return undefined;
  const checks: PropertyCheck[] = [];
  for (const [property, group] of Object.entries(storage.groupByPropertyName(metadatas))) {
    if (hasPropertyTransforms(type, property)) return undefined;
    const conditions = group
      .filter((metadata) => metadata.type === ValidationTypes.CONDITIONAL_VALIDATION)
      .map((metadata) => metadata.constraints[0] as (object: object, value: unknown) => boolean);
    const constraints: PropertyCheck['constraints'] = [];
    // IsDefined first, as class-validator runs it.
    const ordered = [
      ...group.filter((metadata) => metadata.type === ValidationTypes.IS_DEFINED),
      ...group.filter((metadata) => metadata.type === ValidationTypes.CUSTOM_VALIDATION),
    ];
    for (const metadata of ordered) {
      for (const constraint of storage.getTargetValidatorConstraints(metadata.constraintCls)) {
        if (constraint.async) return undefined;
        constraints.push({ metadata, validator: constraint.instance });
      }
    }
    checks.push({ property, conditions, constraints });
  }
  return checks;
}

function hasClassLevelTransforms(type: Type<object>): boolean {
  return (
    transformerMetadata.getStrategy(type) !== 'none' ||
    transformerMetadata.getExposedMetadatas(type).length > 0 ||
    transformerMetadata.getExcludedMetadatas(type).length > 0
  );
}

function hasPropertyTransforms(type: Type<object>, property: string): boolean {
  return (
    transformerMetadata.findTypeMetadata(type, property) !== undefined ||
    transformerMetadata.findTransformMetadatas(type, property, TransformationType.PLAIN_TO_CLASS).length > 0
  );
}

/** Keys class-transformer never assigns: own prototype members without a setter (`constructor` too). */
function blockedKeys(type: Type<object>): Set<string> {
  const blocked = new Set<string>();
  for (const key of Object.getOwnPropertyNames(type.prototype)) {
    const descriptor = Object.getOwnPropertyDescriptor(type.prototype, key);
    if (descriptor && !descriptor.set) blocked.add(key);
  }
  return blocked;
}
