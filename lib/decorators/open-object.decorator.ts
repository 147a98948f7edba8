import { OPEN_OBJECT_METADATA } from '../socket-api.constants.js';

/**
 * Marks a DTO class as open: under strict input (`validation.strictInput`, or a handler's
 * `strictInput`) the keys it does not declare are accepted rather than refused, and its AsyncAPI
 * schema says no `additionalProperties: false`. Its declared nested DTOs are still checked, each by
 * its own decorator. For a DTO that is a free-form map with a few known fields (metadata, labels);
 * a property typed `Record<string, unknown>` without `@ValidateNested()` needs nothing: strict input
 * never walks into it. Subclasses of an open class are open too.
 */
export function OpenObject(): ClassDecorator {
  return (target) => {
    Reflect.defineMetadata(OPEN_OBJECT_METADATA, true, target);
  };
}
