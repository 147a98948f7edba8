import { asText, isObject, type Json, type JsonObject, type Resolver } from './api-document.js';

/** One row of a parameters table: a property of `data`, nested ones by dotted path. */
export interface ParameterRow {
  name: string;
  type: string;
  required: boolean;
  constraints: string[];
  description?: string;
}

const CONSTRAINTS: Array<[keyof JsonObject & string, string]> = [
  ['minimum', '≥'],
  ['exclusiveMinimum', '>'],
  ['maximum', '≤'],
  ['exclusiveMaximum', '<'],
  ['multipleOf', 'multiple of'],
  ['minLength', 'min length'],
  ['maxLength', 'max length'],
  ['pattern', 'pattern'],
  ['format', 'format'],
  ['minItems', 'min items'],
  ['maxItems', 'max items'],
  ['uniqueItems', 'unique items'],
  ['minProperties', 'min properties'],
  ['maxProperties', 'max properties'],
];

/** Deep enough for any DTO a table should show; a recursive DTO stops there rather than loops. */
const MAX_DEPTH = 6;

export function parameterRows(resolver: Resolver, schema: JsonObject | undefined): ParameterRow[] {
  const rows: ParameterRow[] = [];
  const walk = (object: JsonObject, prefix: string, depth: number) => {
    const properties = resolver.object(object.properties) ?? {};
    const required = Array.isArray(object.required) ? object.required : [];
    for (const [name, value] of Object.entries(properties)) {
      const property = resolver.object(value) ?? {};
      const path = prefix + name;
      rows.push({
        name: path,
        type: typeName(resolver, property),
        required: required.includes(name),
        constraints: constraints(resolver, property),
        description: typeof property.description === 'string' ? property.description : undefined,
      });
      const nested = depth < MAX_DEPTH ? nestedObject(resolver, property) : undefined;
      if (nested) walk(nested.schema, `${path}${nested.prefix}`, depth + 1);
    }
  };
  if (schema) walk(schema, '', 0);
  return rows;
}

/**
 * The object whose properties get rows of their own under a property: the property itself, its
 * array's items (`list[].name`), or the first such alternative of an `anyOf`/`oneOf`/`allOf` (a
 * nested DTO that may also come as an array is documented once, as the object).
 */
function nestedObject(resolver: Resolver, property: JsonObject): { schema: JsonObject; prefix: string } | undefined {
  if (isObject(property.properties)) return { schema: property, prefix: '.' };
  const items = resolver.object(property.items);
  if (items && isObject(items.properties)) return { schema: items, prefix: '[].' };
  for (const key of ['anyOf', 'oneOf', 'allOf'] as const) {
    const options = property[key];
    if (!Array.isArray(options)) continue;
    for (const option of options) {
      const found = nestedObject(resolver, resolver.object(option) ?? {});
      if (found) return found;
    }
  }
  return undefined;
}

/** How deep a type name or constraint list follows items and alternatives: a recursive schema stops there. */
const MAX_NAME_DEPTH = 3;

export function typeName(resolver: Resolver, schema: JsonObject, depth = 0): string {
  if (depth > MAX_NAME_DEPTH) return '…';
  const { type } = schema;
  if (Array.isArray(type)) return type.map(asText).join(' | ');
  if (type === 'array') {
    const items = resolver.object(schema.items);
    return `${items ? typeName(resolver, items, depth + 1) : 'any'}[]`;
  }
  // A DTO by its class name (the converter titles each component schema so).
  if (type === 'object' && typeof schema.title === 'string') return schema.title;
  if (typeof type === 'string') return type;
  if ('const' in schema) return JSON.stringify(schema.const);
  if (Array.isArray(schema.enum)) return 'enum';
  for (const key of ['anyOf', 'oneOf'] as const) {
    const options = schema[key];
    if (Array.isArray(options)) {
      return options.map((option) => typeName(resolver, resolver.object(option) ?? {}, depth + 1)).join(' | ');
    }
  }
  return 'any';
}

function constraints(resolver: Resolver, schema: JsonObject, depth = 0): string[] {
  if (depth > MAX_NAME_DEPTH) return [];
  const found: string[] = [];
  for (const [key, label] of CONSTRAINTS) {
    const value = schema[key];
    if (value === undefined || value === false) continue;
    found.push(value === true ? label : `${label} ${asText(value)}`);
  }
  if (Array.isArray(schema.enum)) found.push(`one of ${schema.enum.map((value) => JSON.stringify(value)).join(', ')}`);
  const items = resolver.object(schema.items);
  if (items) found.push(...constraints(resolver, items, depth + 1).map((item) => `each: ${item}`));
  // A rule split by `if`: the `else` branch is the common case (the schema block shows the whole).
  const otherwise = resolver.object(schema.else);
  if (otherwise) found.push(...constraints(resolver, otherwise, depth + 1));
  const not = resolver.object(schema.not);
  if (not && Array.isArray(not.enum)) found.push(`not ${not.enum.map((value) => JSON.stringify(value)).join(', ')}`);
  // Rules the converter could not express: said, never left out (the server checks them anyway).
  const unconstrained = schema['x-unconstrained'];
  if (Array.isArray(unconstrained))
    found.push(...unconstrained.map((reason) => `not in the schema: ${asText(reason)}`));
  return found;
}

/** A value that fits the schema well enough to start from: what the Try-it-out editor is prefilled with. */
export function skeleton(resolver: Resolver, value: Json | undefined, depth = 0): Json {
  const schema = resolver.object(value);
  if (!schema || depth > MAX_DEPTH) return null;
  if ('const' in schema) return schema.const;
  if ('default' in schema) return schema.default;
  if (Array.isArray(schema.examples) && schema.examples.length > 0) return schema.examples[0];
  if (Array.isArray(schema.enum) && schema.enum.length > 0) return schema.enum[0];
  for (const key of ['allOf', 'anyOf', 'oneOf'] as const) {
    const options = schema[key];
    if (Array.isArray(options) && options.length > 0) return skeleton(resolver, options[0], depth + 1);
  }
  const type = Array.isArray(schema.type) ? schema.type.find((name) => name !== 'null') : schema.type;
  switch (type) {
    case 'object': {
      const result: JsonObject = {};
      for (const [name, property] of Object.entries(resolver.object(schema.properties) ?? {})) {
        result[name] = skeleton(resolver, property, depth + 1);
      }
      return result;
    }
    case 'array': {
      const minItems = typeof schema.minItems === 'number' ? schema.minItems : 0;
      return Array.from({ length: Math.min(minItems, 3) }, () => skeleton(resolver, schema.items, depth + 1));
    }
    case 'integer':
    case 'number':
      return typeof schema.minimum === 'number' ? schema.minimum : 0;
    case 'boolean':
      return false;
    case 'string':
      return stringSkeleton(schema);
    case 'null':
      return null;
    default:
      return isObject(schema.properties) ? skeleton(resolver, { ...schema, type: 'object' }, depth) : null;
  }
}

const FORMAT_EXAMPLES: Record<string, string> = {
  email: 'user@example.com',
  uri: 'https://example.com/',
  url: 'https://example.com/',
  uuid: '00000000-0000-4000-8000-000000000000',
  'date-time': '2026-01-01T00:00:00Z',
  date: '2026-01-01',
  ipv4: '127.0.0.1',
  ipv6: '::1',
};

function stringSkeleton(schema: JsonObject): string {
  const example = typeof schema.format === 'string' ? FORMAT_EXAMPLES[schema.format] : undefined;
  if (example) return example;
  const minLength = typeof schema.minLength === 'number' ? schema.minLength : 0;
  return 'x'.repeat(Math.min(minLength, 64));
}

/**
 * The schema with its `$ref`s to components replaced by what they point to, for showing; a reference
 * seen again on the same branch (a recursive DTO) is left as the `$ref`.
 */
export function inlineRefs(resolver: Resolver, value: Json | undefined, seen: ReadonlySet<string> = new Set()): Json {
  if (Array.isArray(value)) return value.map((item) => inlineRefs(resolver, item, seen));
  if (!isObject(value)) return value ?? null;
  if (typeof value.$ref === 'string') {
    if (seen.has(value.$ref)) return value;
    const target = resolver.at(value.$ref);
    return target === undefined ? value : inlineRefs(resolver, target, new Set([...seen, value.$ref]));
  }
  return Object.fromEntries(Object.entries(value).map(([key, item]) => [key, inlineRefs(resolver, item, seen)]));
}
