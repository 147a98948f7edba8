import type { JsonSchema } from './json-schema.js';

/**
 * What each primitive reader of lib/validation/primitive-readers.ts accepts, as JSON Schema: a
 * missing property is allowed by all of them (the parameter's default applies), so none is required.
 * Kept beside the readers' expressions by hand: the unit tests run both over the same values.
 */
const NUMBER: JsonSchema = {
  anyOf: [
    { type: 'number' },
    // readNumber's NUMERIC expression; `\s` and `trim()` know the same white space.
    { type: 'string', pattern: '^\\s*[+-]?(\\d+(\\.\\d*)?|\\.\\d+)([eE][+-]?\\d+)?\\s*$' },
  ],
};

// readBoolean's words, trimmed and lower-cased: no non-ASCII character lower-cases to these letters
// alone, so ASCII case spelled out is the same set.
const BOOLEAN_WORDS = ['true', '1', 'yes', 'on', 't', 'y', 'false', '0', 'no', 'off', 'f', 'n'];
const BOOLEAN: JsonSchema = {
  anyOf: [
    { type: 'boolean' },
    { enum: [0, 1] },
    { type: 'string', pattern: `^\\s*(?:${BOOLEAN_WORDS.map(spellOutCase).join('|')})\\s*$` },
  ],
};

const PRIMITIVE_SCHEMAS = new Map<unknown, JsonSchema>([
  [Number, NUMBER],
  [Boolean, BOOLEAN],
  [String, { type: 'string' }],
  [Array, { type: 'array' }],
  // `unknown`, `any`, interfaces and unions: readAny takes any JSON value.
  [Object, {}],
]);

/** The schema of a `@Data()` parameter of a primitive declared type; `undefined` for a class (a DTO). */
export function primitiveDataSchema(metatype: unknown): JsonSchema | undefined {
  const schema = PRIMITIVE_SCHEMAS.get(metatype);
  return schema && structuredClone(schema);
}

function spellOutCase(word: string): string {
  return [...word].map((char) => (/[a-z]/.test(char) ? `[${char}${char.toUpperCase()}]` : char)).join('');
}
