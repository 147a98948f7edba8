import type { JsonSchema } from './json-schema.js';

/**
 * The TypeScript type of the values a JSON Schema accepts, for the subset this folder emits: `type`
 * (one or a list), `const`/`enum`, `properties`/`required`, `additionalProperties`, `items`,
 * `anyOf`/`oneOf`/`allOf`, `$ref` (named by `nameOf`), `not: {}` (nothing). Keywords that only
 * narrow a value within its type (lengths, bounds, patterns, `if`/`then`, `not` of something) have
 * no TypeScript counterpart and are left out: the type is the schema's, minus those checks. Anything
 * else is `unknown`, never a guess.
 *
 * Written here rather than taken from `json-schema-to-typescript`: that package parses whole
 * documents with its own `$ref` resolver, prettier and a CLI, for a subset this small (the schemas of
 * lib/schema are known) a hundred lines that the tests pin down are the smaller dependency.
 *
 * An object without `additionalProperties: false` accepts more properties than it names; its type
 * still lists only those named, so that a misspelt property fails to compile, which is what a
 * typed client is for.
 */
export function typeScriptType(schema: JsonSchema, nameOf: (ref: string) => string, indent = ''): string {
  if (typeof schema.$ref === 'string') return nameOf(schema.$ref);
  if (isNothing(schema)) return 'never';
  const parts: string[] = [];
  const own = ownType(schema, nameOf, indent);
  if (own !== undefined) parts.push(own);
  for (const key of ['anyOf', 'oneOf'] as const) {
    const members = schema[key];
    if (Array.isArray(members)) {
      parts.push(union((members as JsonSchema[]).map((member) => typeScriptType(member, nameOf, indent))));
    }
  }
  if (Array.isArray(schema.allOf)) {
    parts.push(...(schema.allOf as JsonSchema[]).map((member) => typeScriptType(member, nameOf, indent)));
  }
  const known = [...new Set(parts.filter((part) => part !== 'unknown'))];
  if (known.length === 0) return 'unknown';
  if (known.length === 1) return known[0];
  return known.map(parenthesized).join(' & ');
}

/** What `const`, `enum` or `type` (with `properties`, `items`…) say, or undefined when none is there. */
function ownType(schema: JsonSchema, nameOf: (ref: string) => string, indent: string): string | undefined {
  if ('const' in schema) return literal(schema.const);
  if (Array.isArray(schema.enum)) return union(schema.enum.map(literal));
  const types = Array.isArray(schema.type)
    ? (schema.type as unknown[])
    : schema.type === undefined
      ? []
      : [schema.type];
  if (types.length === 0) return 'properties' in schema ? objectType(schema, nameOf, indent) : undefined;
  return union(types.map((type) => typeOfName(type, schema, nameOf, indent)));
}

function typeOfName(type: unknown, schema: JsonSchema, nameOf: (ref: string) => string, indent: string): string {
  switch (type) {
    case 'string':
      return 'string';
    case 'number':
    case 'integer':
      return 'number';
    case 'boolean':
      return 'boolean';
    case 'null':
      return 'null';
    case 'array': {
      const items = schema.items;
      if (items === undefined || typeof items !== 'object' || Array.isArray(items)) return 'unknown[]';
      return `${parenthesized(typeScriptType(items as JsonSchema, nameOf, indent))}[]`;
    }
    case 'object':
      return objectType(schema, nameOf, indent);
    default:
      return 'unknown';
  }
}

function objectType(schema: JsonSchema, nameOf: (ref: string) => string, indent: string): string {
  const properties = (schema.properties ?? {}) as Record<string, JsonSchema>;
  const required = new Set(Array.isArray(schema.required) ? (schema.required as string[]) : []);
  const inner = `${indent}  `;
  const lines: string[] = [];
  for (const [name, property] of Object.entries(properties)) {
    if (typeof property.description === 'string') lines.push(`${inner}${docComment(property.description)}`);
    const optional = required.has(name) ? '' : '?';
    lines.push(`${inner}${propertyKey(name)}${optional}: ${typeScriptType(property, nameOf, inner)};`);
  }
  const additional = schema.additionalProperties;
  if (typeof additional === 'object' && additional !== null) {
    const valueType = typeScriptType(additional as JsonSchema, nameOf, inner);
    // An index signature must admit the named properties too (some may be optional: `undefined`).
    const named = lines.length > 0 ? ' | undefined' : '';
    lines.push(`${inner}[key: string]: ${valueType === 'unknown' ? 'unknown' : `${valueType}${named}`};`);
  }
  if (lines.length === 0) return additional === false ? 'Record<string, never>' : 'Record<string, unknown>';
  return `{\n${lines.join('\n')}\n${indent}}`;
}

/** A property name as TypeScript writes it: bare when it is an identifier, quoted otherwise. */
export function propertyKey(name: string): string {
  return /^[A-Za-z_$][A-Za-z0-9_$]*$/.test(name) ? name : JSON.stringify(name);
}

/** A JSDoc comment on one line; a star and a slash in the text would end it early. */
export function docComment(text: string): string {
  return `/** ${text.replace(/\*\//g, '*\\/').replace(/\s*\n\s*/g, ' ')} */`;
}

function literal(value: unknown): string {
  if (value === null || ['string', 'number', 'boolean'].includes(typeof value)) return JSON.stringify(value);
  return 'unknown';
}

function union(members: string[]): string {
  const unique = [...new Set(members)];
  if (unique.includes('unknown')) return 'unknown';
  return unique.join(' | ');
}

/**
 * A type that can stand in an intersection or before `[]` without changing meaning: a name or
 * literal as it is, anything else in parentheses (always valid; braces or bars inside string literals
 * and comments make finer checks unsafe). A union needs none: `&` binds tighter than `|`.
 */
function parenthesized(type: string): string {
  return /^[A-Za-z0-9_$."-]+(\[\])*$/.test(type) ? type : `(${type})`;
}

function isNothing(schema: JsonSchema): boolean {
  const keys = Object.keys(schema);
  const not = schema.not;
  return (
    keys.length === 1 && typeof not === 'object' && not !== null && Object.keys(not).length === 0 && !Array.isArray(not)
  );
}
