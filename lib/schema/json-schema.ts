/** A JSON Schema (draft-07 compatible, as AsyncAPI 3.0's default schema format reads it). */
export type JsonSchema = Record<string, unknown>;

/** A rule the converter could not express: its property is documented as unconstrained by it. */
export interface UnconstrainedRule {
  className: string;
  property: string;
  /** The decorator's metadata name (`isEmail`, `@ValidateIf`, a custom constraint's name…). */
  decorator: string;
  reason: string;
}

/** Accepts nothing: what class-validator answers for every value of some declarations. */
export const NOTHING: JsonSchema = { not: {} };

// Keywords that only constrain values of their own type (and annotations): `null` passes them, so a
// schema made of these and one `type` accepts `null` too once `null` is added to its `type`.
const TYPE_SPECIFIC_KEYWORDS = new Set([
  'minLength',
  'maxLength',
  'pattern',
  'format',
  'minimum',
  'maximum',
  'exclusiveMinimum',
  'exclusiveMaximum',
  'multipleOf',
  'items',
  'minItems',
  'maxItems',
  'uniqueItems',
  'contains',
  'properties',
  'patternProperties',
  'additionalProperties',
  'required',
  'minProperties',
  'maxProperties',
  'description',
  'x-unconstrained',
]);

/**
 * The conjunction of `schemas`, as one flat object where their keywords do not collide (the common
 * case: `{ type: 'string', minLength: 1, maxLength: 9 }`), with `allOf` for the ones that do.
 */
export function allOf(schemas: JsonSchema[]): JsonSchema {
  const nonEmpty = schemas.filter((schema) => Object.keys(schema).length > 0);
  if (nonEmpty.length === 1) return nonEmpty[0];
  const merged: JsonSchema = {};
  const rest: JsonSchema[] = [];
  for (const original of nonEmpty) {
    // Draft-07 ignores the keywords beside a `$ref`: a reference stays a schema of its own.
    if ('$ref' in original) {
      rest.push(original);
      continue;
    }
    const schema = { ...original };
    // integer ⊂ number: `IsInt` and `Min` together are one `type: 'integer'`.
    if (isNumberAndInteger(merged.type, schema.type)) merged.type = schema.type = 'integer';
    const collides = Object.entries(schema).some(
      ([key, value]) => key in merged && JSON.stringify(merged[key]) !== JSON.stringify(value),
    );
    if (collides) rest.push(schema);
    else Object.assign(merged, schema);
  }
  if (rest.length === 0) return merged;
  if ('allOf' in merged) return { allOf: [merged, ...rest] };
  return { ...merged, allOf: rest };
}

function isNumberAndInteger(a: unknown, b: unknown): boolean {
  return (a === 'number' && b === 'integer') || (a === 'integer' && b === 'number');
}

/** `schema`, or `null`. */
export function orNull(schema: JsonSchema): JsonSchema {
  const keys = Object.keys(schema);
  if (keys.length === 0) return schema;
  if (typeof schema.type === 'string' && keys.every((key) => key === 'type' || passesNull(key, schema[key]))) {
    return { ...schema, type: [schema.type, 'null'] };
  }
  if (keys.length === 1 && Array.isArray(schema.anyOf)) {
    return { anyOf: [{ type: 'null' }, ...(schema.anyOf as JsonSchema[])] };
  }
  return { anyOf: [{ type: 'null' }, schema] };
}

/** Whether `null` passes this keyword: one that only constrains values of its own type (`if` of such keywords too). */
function passesNull(key: string, value: unknown): boolean {
  if (key === 'if' || key === 'then' || key === 'else') {
    return Object.entries(value as JsonSchema).every(([inner, innerValue]) => passesNull(inner, innerValue));
  }
  return key !== 'type' && TYPE_SPECIFIC_KEYWORDS.has(key);
}

/** JSON values a schema can name with `const`/`enum`: values JSON.parse can produce and compare by `===`. */
export function isJsonPrimitive(value: unknown): value is string | number | boolean | null {
  return (
    value === null ||
    typeof value === 'string' ||
    typeof value === 'boolean' ||
    (typeof value === 'number' && Number.isFinite(value))
  );
}
