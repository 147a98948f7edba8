import type { Type } from '@nestjs/common';
import { transformerMetadata } from './class-transformer-storage.js';

/** Classes `@Type` may name that are values, not DTOs: nothing of theirs is validated as a nested object. */
export const BUILT_IN_TYPES = new Set<unknown>([String, Number, Boolean, Date, Object, Array, Map, Set, Promise]);

/**
 * What class-transformer builds a property's value as, from its `@Type`: `undefined` without one
 * (a plain object, copied as is), `'dynamic'` when the class is chosen at run time (a discriminator)
 * or is not a class (a built-in, or a type function that throws), else the DTO class.
 */
export function nestedTypeOf(type: Type<object>, property: string): Type<object> | 'dynamic' | undefined {
  const metadata = transformerMetadata.findTypeMetadata(type, property) as
    { typeFunction: () => unknown; options?: { discriminator?: unknown } } | undefined;
  if (!metadata) return undefined;
  let nested: unknown;
  try {
    nested = metadata.options?.discriminator ? undefined : metadata.typeFunction();
  } catch {
    nested = undefined;
  }
  if (typeof nested !== 'function' || BUILT_IN_TYPES.has(nested)) return 'dynamic';
  return nested as Type<object>;
}
