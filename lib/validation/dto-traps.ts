import type { Type } from '@nestjs/common';
import { getMetadataStorage, ValidationTypes } from 'class-validator';
import { transformerMetadata } from './class-transformer-storage.js';
import { hasValidationRules } from './dto-reader.js';
import { BUILT_IN_TYPES, nestedTypeOf } from './nested-type.js';
import {
  arrayRuleWithoutEach,
  arrayWithoutType,
  arrayWithoutValidateNested,
  nestedWithoutType,
  nestedWithoutValidateNested,
} from './validation.messages.js';

// Rules that hold for an object and never for an array: on an array of DTOs they were meant for each item.
const OBJECT_RULES = new Set(['isObject', 'isNotEmptyObject', 'isInstance']);

/**
 * The class-validator mistakes that leave nested data unvalidated, in `types` and every DTO they nest
 * (each class once), one message per mistake naming class and property. Read from the metadata of
 * class-validator, class-transformer (`@Type`) and TypeScript (`design:type`), at startup only.
 */
export function findDtoTraps(types: Iterable<Type<object>>): string[] {
  const problems: string[] = [];
  const seen = new Set<Type<object>>();
  const queue = [...types];
  for (let type = queue.pop(); type !== undefined; type = queue.pop()) {
    if (seen.has(type)) continue;
    seen.add(type);
    const storage = getMetadataStorage();
    const grouped = storage.groupByPropertyName(storage.getTargetValidationMetadatas(type, '', true, false));
    for (const [property, metadatas] of Object.entries(grouped)) {
      const className = type.name;
      const declared = Reflect.getMetadata('design:type', type.prototype as object, property) as unknown;
      const hasNested = metadatas.some((metadata) => metadata.type === ValidationTypes.NESTED_VALIDATION);
      const typed = nestedTypeOf(type, property);
      const hasType = transformerMetadata.findTypeMetadata(type, property) !== undefined;
      if (isDto(declared)) {
        const nested = declared.name;
        if (!hasNested) problems.push(nestedWithoutValidateNested(className, property, nested));
        else if (!hasType) problems.push(nestedWithoutType(className, property, nested));
        queue.push(typeof typed === 'function' ? typed : declared);
      } else if (declared === Array) {
        if (typeof typed === 'function' && isDto(typed)) {
          if (!hasNested) problems.push(arrayWithoutValidateNested(className, property, typed.name));
          for (const metadata of metadatas) {
            if (metadata.name && OBJECT_RULES.has(metadata.name) && !metadata.each) {
              problems.push(arrayRuleWithoutEach(className, property, capitalized(metadata.name)));
            }
          }
          queue.push(typed);
        } else if (hasNested && !hasType) {
          problems.push(arrayWithoutType(className, property));
        }
      } else if (typeof typed === 'function') {
        queue.push(typed);
      }
    }
  }
  return problems;
}

/** A class with class-validator rules, other than the built-ins `@Type` may name. */
function isDto(value: unknown): value is Type<object> {
  return typeof value === 'function' && !BUILT_IN_TYPES.has(value) && hasValidationRules(value as Type<object>);
}

function capitalized(name: string): string {
  return name.charAt(0).toUpperCase() + name.slice(1);
}
