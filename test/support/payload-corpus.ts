import type { Type } from '@nestjs/common';
import { getMetadataStorage, ValidationTypes, type ValidatorOptions } from 'class-validator';
import fc from 'fast-check';
import { transformerMetadata } from '../../lib/validation/class-transformer-storage.js';

/*
 * A corpus of `data` payloads for one handler, derived from two sources and from no hand-written
 * answer: its JSON Schema (the examples it describes, then one change at a time: every constraint's
 * boundary and one step past it, wrong types, missing and extra properties, arrays for objects and
 * back, down the nested DTOs), and its DTOs' class-validator metadata (for each rule, values of the
 * pool that the rule's own validator passes and fails: this reaches rules the schema does not
 * describe). Each payload carries the generator's guess of its verdict, for reading reports only: the
 * agreement test compares the schema's verdict with the server's and trusts neither label.
 * Deterministic: fast-check samples with a seed.
 */

export type JsonSchema = Record<string, unknown>;

export interface CorpusEntry {
  /** The `data` to send; `undefined` sends a frame without `data`. */
  data: unknown;
  /** What the generator meant it to be (never asserted). */
  guess: 'valid' | 'invalid';
  /** What was generated, e.g. `tags[0].name: maxLength + 1`. */
  why: string;
}

/** A handler's `@Data()` parameters, as `ParamsBinder.params` has them. */
export interface DataParam {
  property?: string;
  metatype: unknown;
}

export interface CorpusInput {
  /** The schema of the handler's whole `data`; `$ref`s point at `components`. */
  schema: JsonSchema;
  components: Record<string, JsonSchema>;
  params: readonly DataParam[];
  /** The handler's class-validator options (its groups decide which rules are read). */
  validator: ValidatorOptions;
  seed: number;
}

type Path = ReadonlyArray<string | number>;

/** How deep object and array mutations go into nested schemas: the zoo nests three levels. */
const MAX_DEPTH = 4;
/** Levels of the deep-nesting probe: above the server's default `maxDepth` (32), far below a stack overflow. */
const DEEP_NESTING = 64;
/** fast-check samples per schema (valid examples) and per pattern (matching and non-matching strings). */
const SAMPLES = 3;

export function payloadCorpus(input: CorpusInput): CorpusEntry[] {
  const corpus = new Corpus(input);
  corpus.fromSchema();
  corpus.fromMetadata();
  return corpus.entries();
}

class Corpus {
  private readonly byText = new Map<string, CorpusEntry>();
  /**
   * The payload every change starts from: the schema's full example, where a DTO rule the schema does
   * not describe (an unconstrained one) refuses it, replaced by a value of the pool that the rule passes.
   */
  private base: unknown;

  constructor(private readonly input: CorpusInput) {
    this.base = example(this.resolve(input.schema), this, 'full', 0);
    this.eachRule((type, at, property, rules) => {
      const current = this.valueAt(at);
      if (current === undefined || rules.every((rule) => rule.passes(current))) return;
      const pool = rules.flatMap((rule) => candidates(rule.constraints, this, `${type.name}.${property}`));
      const fitting = pool.find((candidate) => rules.every((rule) => rule.passes(candidate)));
      if (fitting !== undefined) this.base = setAt(this.base, at, fitting);
    });
  }

  /** The base's value at `path` if `schema` describes one of its type, else the schema's own full example. */
  exampleAt(path: Path, schema: JsonSchema): unknown {
    const value = this.valueAt(path);
    return value !== undefined && fitsType(value, schema) ? value : example(schema, this, 'full', path.length);
  }

  /** The schema a `$ref` (`#/components/schemas/<Name>[/definitions/<key>]`) points at, followed to the end. */
  resolve(schema: unknown): JsonSchema {
    let current = asSchema(schema);
    for (let hops = 0; typeof current.$ref === 'string' && hops < 32; hops++) {
      const keys = current.$ref.replace(/^#\/components\/schemas\//, '').split('/');
      let target: unknown = this.input.components;
      for (const key of keys) target = asRecord(target)[key.replace(/~1/g, '/').replace(/~0/g, '~')];
      current = asSchema(target);
    }
    return current;
  }

  /**
   * The schema as flat alternatives, one per branch of its `anyOf`/`oneOf` (nested ones too), each
   * with the keywords it shares with its parents and its `allOf` parts merged in: what one value
   * has to satisfy, as plain keywords the variants read.
   */
  alternatives(schema: unknown, depth = 0): JsonSchema[] {
    const { anyOf, oneOf, allOf, ...own } = this.resolve(schema);
    let merged: JsonSchema = own;
    for (const part of Array.isArray(allOf) ? allOf : []) {
      merged = mergeSchemas(merged, this.alternatives(part, depth + 1)[0] ?? {}) ?? merged;
    }
    const branches = [...(Array.isArray(anyOf) ? anyOf : []), ...(Array.isArray(oneOf) ? oneOf : [])];
    if (branches.length === 0 || depth > MAX_DEPTH) return [merged];
    // A branch whose type the outer schema excludes describes no value: it is left out.
    const flat = branches.flatMap((branch) =>
      this.alternatives(branch, depth + 1).flatMap((alternative): JsonSchema[] => {
        const both = mergeSchemas(merged, alternative);
        return both ? [both] : [];
      }),
    );
    return flat.length > 0 ? flat : [merged];
  }

  sample<T>(arbitrary: fc.Arbitrary<T>, salt: string, count = SAMPLES): T[] {
    return fc.sample(arbitrary, { seed: this.input.seed ^ hash(salt), numRuns: count });
  }

  add(data: unknown, guess: CorpusEntry['guess'], why: string): void {
    const text = data === undefined ? '<no data>' : JSON.stringify(data);
    if (!this.byText.has(text)) this.byText.set(text, { data, guess, why });
  }

  entries(): CorpusEntry[] {
    return [...this.byText.values()];
  }

  /** The schema's examples and every single change to them, at the root and down the nesting. */
  fromSchema(): void {
    const root = this.resolve(this.input.schema);
    this.add(undefined, 'valid', 'data omitted');
    for (const variant of variants(root, this, [])) this.add(variant.value, variant.guess, `data: ${variant.why}`);
    // Depth is no keyword of JSON Schema, but servers limit it: an extra property nested deeper than any limit.
    const deep = nestedArrays(DEEP_NESTING);
    this.add(
      isPlainObject(this.base) ? { ...this.base, unknownExtra: deep } : deep,
      'invalid',
      `nested ${DEEP_NESTING} levels`,
    );
  }

  /** For every class-validator rule of every DTO reached: values its validator passes, and values it fails. */
  fromMetadata(): void {
    this.eachRule((type, at, property, rules) => {
      for (const rule of rules) {
        const counts = { passing: 0, failing: 0 };
        for (const candidate of candidates(rule.constraints, this, `${type.name}.${property}`)) {
          const good = rule.check(candidate);
          const count = good ? 'passing' : 'failing';
          if (counts[count] >= 2) continue;
          counts[count]++;
          const value = rule.each ? [candidate] : candidate;
          const why = `${formatPath(at)}: ${JSON.stringify(value)} (${rule.name} ${good ? 'passes' : 'fails'})`;
          this.add(setAt(this.base, at, value), good ? 'valid' : 'invalid', why);
        }
      }
    });
  }

  /**
   * Calls `visit` for each validated property of every DTO reached from the parameters (nested ones
   * through `@ValidateNested` and `@Type`, at item 0 of arrays), with its rules as the handler's groups
   * select them. Only rules with a validator to call (class-validator's CUSTOM_VALIDATION) are given.
   */
  private eachRule(visit: (type: Type<object>, at: Path, property: string, rules: CheckedRule[]) => void): void {
    const walk = (type: Type<object>, path: Path, depth: number): void => {
      if (depth > MAX_DEPTH) return;
      for (const [property, group] of Object.entries(metadataByProperty(type, this.input.validator))) {
        const at = [...path, property];
        for (const metadata of group) {
          if (metadata.type !== ValidationTypes.NESTED_VALIDATION) continue;
          const nested = transformerMetadata.findTypeMetadata(type, property)?.typeFunction();
          const inArray = metadata.each || Array.isArray(this.valueAt(at));
          if (isDto(nested)) walk(nested, inArray ? [...at, 0] : at, depth + 1);
        }
        visit(
          type,
          at,
          property,
          group.flatMap((metadata) => checkedRules(type, property, metadata)),
        );
      }
    };
    for (const param of this.input.params) {
      if (isDto(param.metatype)) walk(param.metatype, param.property === undefined ? [] : [param.property], 0);
    }
  }

  valueAt(path: Path): unknown {
    let current = this.base;
    for (const key of path) current = isObjectLike(current) ? (current as Record<string, unknown>)[key] : undefined;
    return current;
  }
}

/** The DTO class and property a dotted `data` path ends at (array indexes skipped), if DTOs lead there. */
export function dtoPropertyAt(
  params: readonly DataParam[],
  path: string,
): { type: Type<object>; property: string } | undefined {
  const segments = path.split('.').filter((segment) => segment !== '' && !/^\d+$/.test(segment));
  const whole = params.find((param) => param.property === undefined && isDto(param.metatype));
  let type: unknown = whole?.metatype;
  if (!whole) type = params.find((param) => param.property === segments.shift())?.metatype;
  for (const [index, property] of segments.entries()) {
    if (!isDto(type)) return undefined;
    if (index === segments.length - 1) return { type, property };
    type = transformerMetadata.findTypeMetadata(type, property)?.typeFunction();
  }
  return undefined;
}

/** A class-validator rule of one property, with its own validator to call. */
interface CheckedRule {
  /** The decorator's name (`isEmail`, `isDefined`, a custom constraint's name…), as the converter reports it. */
  name: string;
  constraints: unknown[] | undefined;
  each: boolean;
  /** The rule's verdict on one value (one item, for an `each` rule). */
  check(value: unknown): boolean;
  /** The rule's verdict on the property's value (every item of an array, for an `each` rule). */
  passes(value: unknown): boolean;
}

type ValidationMetadata = ReturnType<ReturnType<typeof getMetadataStorage>['getTargetValidationMetadatas']>[number];

/** The class's validation metadata by property, as class-validator selects it for these options (groups). */
function metadataByProperty(type: Type<object>, validator: ValidatorOptions): Record<string, ValidationMetadata[]> {
  const { always, strictGroups, groups } = validator;
  const storage = getMetadataStorage();
  const metadatas = storage.getTargetValidationMetadatas(type, '', always ?? false, strictGroups ?? false, groups);
  return storage.groupByPropertyName(metadatas);
}

/** The checks one metadata entry makes (`@IsDefined` and the validators of a constraint), callable alone. */
function checkedRules(type: Type<object>, property: string, metadata: ValidationMetadata): CheckedRule[] {
  const rule = (name: string, check: (value: unknown) => boolean): CheckedRule => ({
    name,
    constraints: metadata.constraints,
    each: metadata.each,
    check,
    passes: (value) => (metadata.each && Array.isArray(value) ? value.every(check) : check(value)),
  });
  if (metadata.type === ValidationTypes.IS_DEFINED) {
    return [rule(metadata.name ?? metadata.type, (value) => value !== undefined && value !== null)];
  }
  if (metadata.type !== ValidationTypes.CUSTOM_VALIDATION) return [];
  // Named as the converter names it: the decorator's name, or for `@Validate(Constraint)` the constraint's.
  return getMetadataStorage()
    .getTargetValidatorConstraints(metadata.constraintCls)
    .map(({ instance, name }) =>
      rule(metadata.name ?? name ?? metadata.type, (value) => {
        const args = { targetName: type.name, property, object: {}, value, constraints: metadata.constraints };
        return instance.validate(value, args) === true;
      }),
    );
}

/**
 * The names of the rules of the DTO property at a dotted `data` path that `value` fails, each rule
 * called alone (no `@ValidateIf`/`@IsOptional` condition applied); undefined if no DTO property is there.
 */
export function failingRules(
  params: readonly DataParam[],
  validator: ValidatorOptions,
  path: string,
  value: unknown,
): string[] | undefined {
  const at = dtoPropertyAt(params, path);
  if (!at) return undefined;
  const group = metadataByProperty(at.type, validator)[at.property] ?? [];
  return group
    .flatMap((metadata) => checkedRules(at.type, at.property, metadata))
    .filter((rule) => !rule.passes(value))
    .map((rule) => rule.name);
}

interface Variant {
  value: unknown;
  guess: CorpusEntry['guess'];
  why: string;
}

/** Values for one slot described by `schema`: examples, boundaries, and single changes, nested ones included. */
function variants(schema: JsonSchema, corpus: Corpus, path: Path): Variant[] {
  const found: Variant[] = [];
  const valid = (value: unknown, why: string) => found.push({ value, guess: 'valid', why });
  const invalid = (value: unknown, why: string) => found.push({ value, guess: 'invalid', why });
  const full = corpus.exampleAt(path, schema);
  valid(full, 'example');
  valid(example(schema, corpus, 'minimal', path.length), 'minimal example');

  for (const flat of corpus.alternatives(schema)) {
    if ('const' in flat) invalid(`${String(flat.const)}x`, 'not the const');
    if (Array.isArray(flat.enum)) {
      for (const member of flat.enum) valid(member, `enum member ${JSON.stringify(member)}`);
      invalid('zzz', 'not an enum member');
      invalid(999, 'not an enum member');
      for (const member of flat.enum) {
        if (typeof member === 'string') invalid(member.toUpperCase(), 'enum member in upper case');
      }
    }
    const types = typesOf(flat);
    if (types.has('number') || types.has('integer')) numberVariants(flat, !types.has('integer'), valid, invalid);
    if (types.has('string')) stringVariants(flat, corpus, valid, invalid);
    if (types.has('array')) arrayVariants(flat, corpus, path, valid, invalid);
    if (types.has('object')) objectVariants(flat, corpus, corpus.exampleAt(path, flat), path, valid, invalid);
  }

  // Wrong types, and what lax readers accept in their place (numeric strings, boolean words).
  for (const [value, why] of WRONG_TYPES) invalid(value, why);
  if (!Array.isArray(full)) invalid([full], 'the example wrapped in an array');
  return found;
}

const WRONG_TYPES: ReadonlyArray<readonly [unknown, string]> = [
  [null, 'null'],
  [true, 'boolean true'],
  [false, 'boolean false'],
  [0, 'number 0'],
  [1, 'number 1'],
  [2.5, 'number 2.5'],
  ['', 'empty string'],
  ['abc', 'string'],
  ['3', 'numeric string'],
  [' 7 ', 'numeric string with spaces'],
  ['1e1', 'numeric string in exponent form'],
  ['0x10', 'hexadecimal string'],
  ['true', 'boolean word "true"'],
  ['yes', 'boolean word "yes"'],
  ['off', 'boolean word "off"'],
  ['1', 'boolean digit "1"'],
  [[], 'empty array'],
  [{}, 'empty object'],
];

type Push = (value: unknown, why: string) => void;

function numberVariants(schema: JsonSchema, fractional: boolean, valid: Push, invalid: Push): void {
  const step = fractional ? 0.5 : 1;
  for (const [key, sign] of [
    ['minimum', -1],
    ['maximum', 1],
  ] as const) {
    const bound = schema[key];
    if (typeof bound !== 'number') continue;
    valid(bound, `${key}`);
    invalid(bound + sign, `${key} ${sign > 0 ? '+' : '-'} 1`);
    invalid(bound + sign * 0.01, `${key} ${sign > 0 ? '+' : '-'} 0.01`);
  }
  for (const [key, sign] of [
    ['exclusiveMinimum', 1],
    ['exclusiveMaximum', -1],
  ] as const) {
    const bound = schema[key];
    if (typeof bound !== 'number') continue;
    invalid(bound, key);
    valid(bound + sign * step, `${key} ${sign > 0 ? '+' : '-'} ${step}`);
  }
  if (typeof schema.multipleOf === 'number') {
    valid(schema.multipleOf * 2, 'twice multipleOf');
    invalid(schema.multipleOf * 2 + schema.multipleOf / 2, 'not a multiple');
  }
  if (!fractional) invalid(1.5, 'a fraction for an integer');
  invalid('1e400', 'a numeral beyond the range of a double');
  valid(-0.125, 'a small negative fraction');
  valid(1.005, 'three decimal places');
  valid(1e21, 'a large number');
}

function stringVariants(schema: JsonSchema, corpus: Corpus, valid: Push, invalid: Push): void {
  const pattern = typeof schema.pattern === 'string' ? new RegExp(schema.pattern, 'u') : undefined;
  const filler = (length: number, unit: string) => unit.repeat(Math.max(0, length));
  for (const [key, delta] of [
    ['minLength', -1],
    ['maxLength', 1],
  ] as const) {
    const bound = schema[key];
    if (typeof bound !== 'number') continue;
    valid(filler(bound, 'a'), key);
    invalid(filler(bound + delta, 'a'), `${key} ${delta > 0 ? '+' : '-'} 1`);
    // Length in code points (JSON Schema) vs in UTF-16 units, with presentation selectors (validator.js).
    valid(filler(bound, '😀'), `${key} in astral characters`);
    invalid(filler(bound + delta, '😀'), `${key} ${delta > 0 ? '+' : '-'} 1 in astral characters`);
    valid(filler(bound, 'é'), `${key} in accented letters`);
    invalid(filler(bound, '✌️'), `${key} in emoji with a presentation selector`);
    valid(`${filler(bound, 'a')}\uFE0F`, `${key} letters and a presentation selector`);
    invalid(`${filler(bound - 1, 'a')}\uFE0F`, `${key} - 1 letters and a presentation selector`);
  }
  if (pattern) {
    const matching = matchingStrings(pattern, corpus, 'match');
    for (const value of matching) valid(value, `matches ${pattern.source}`);
    for (const value of matching) invalid(`${value}!`, `a match followed by "!"`);
    for (const value of matching) invalid(value.toUpperCase(), 'a match in upper case');
    const other = corpus.sample(
      fc.string({ maxLength: 8 }).filter((value) => !pattern.test(value)),
      `miss ${pattern.source}`,
    );
    for (const value of other) invalid(value, `does not match ${pattern.source}`);
  }
  if (typeof schema.format === 'string') {
    for (const value of FORMAT_SAMPLES[schema.format] ?? []) valid(value, `format ${schema.format}`);
    for (const value of FORMAT_NEAR_MISSES[schema.format] ?? []) invalid(value, `near miss of format ${schema.format}`);
  }
}

function arrayVariants(schema: JsonSchema, corpus: Corpus, path: Path, valid: Push, invalid: Push): void {
  const depth = path.length;
  const items = corpus.resolve(schema.items ?? {});
  const element = corpus.exampleAt([...path, 0], items);
  const of = (count: number) => Array.from({ length: Math.max(0, count) }, () => element);
  const distinct = (count: number) =>
    Array.from({ length: Math.max(0, count) }, (_, index) => distinctElement(items, element, index, corpus, depth));
  for (const [key, delta] of [
    ['minItems', -1],
    ['maxItems', 1],
  ] as const) {
    const bound = schema[key];
    if (typeof bound !== 'number') continue;
    valid(distinct(bound), key);
    invalid(distinct(bound + delta), `${key} ${delta > 0 ? '+' : '-'} 1`);
  }
  if (schema.uniqueItems === true) invalid(of(2), 'two equal items');
  invalid(element, 'one item, not in an array');
  invalid([element, null], 'a null item');
  invalid([[element]], 'an array in an array');
  if (depth >= MAX_DEPTH) return;
  // Every single change to the first item.
  const rest = typeof schema.minItems === 'number' && schema.minItems > 1 ? distinct(schema.minItems).slice(1) : [];
  for (const variant of variants(items, corpus, [...path, 0])) {
    const value = [variant.value, ...rest];
    (variant.guess === 'valid' ? valid : invalid)(value, `[0] ${variant.why}`);
  }
}

function objectVariants(
  schema: JsonSchema,
  corpus: Corpus,
  full: unknown,
  path: Path,
  valid: Push,
  invalid: Push,
): void {
  const depth = path.length;
  const properties = asRecord(schema.properties);
  const required = new Set(Array.isArray(schema.required) ? (schema.required as string[]) : []);
  const base = isPlainObject(full) ? full : {};
  valid({ ...base, unknownExtra: 1 }, 'an extra property');
  valid({ ...base, unknownExtra: { deep: [1] } }, 'an extra nested property');
  if (depth >= MAX_DEPTH) return;
  for (const [property, propertySchema] of Object.entries(properties)) {
    const { [property]: _removed, ...without } = base;
    (required.has(property) ? invalid : valid)(without, `${property} missing`);
    for (const variant of variants(corpus.resolve(propertySchema), corpus, [...path, property])) {
      const value = { ...base, [property]: variant.value };
      (variant.guess === 'valid' ? valid : invalid)(value, `${property}: ${variant.why}`);
    }
  }
}

/**
 * A value the schema describes: `full` fills every property and the least items above zero, `minimal`
 * only the required properties and the least items. Chooses values inside every bound it knows.
 */
function example(described: JsonSchema, corpus: Corpus, mode: 'full' | 'minimal', depth: number): unknown {
  const alternatives = corpus.alternatives(described);
  const schema = alternatives.find((flat) => !isNullOnly(flat)) ?? alternatives[0];
  if ('const' in schema) return schema.const;
  if (Array.isArray(schema.enum) && schema.enum.length > 0) return schema.enum[0];
  if (Array.isArray(schema.examples) && schema.examples.length > 0) return schema.examples[0];
  const types = typesOf(schema);
  if (types.has('object') || (types.size === 0 && schema.properties)) {
    const required = new Set(Array.isArray(schema.required) ? (schema.required as string[]) : []);
    const value: Record<string, unknown> = {};
    if (depth > MAX_DEPTH + 2) return value;
    for (const [property, propertySchema] of Object.entries(asRecord(schema.properties))) {
      if (mode === 'full' || required.has(property)) {
        value[property] = example(corpus.resolve(propertySchema), corpus, 'full', depth + 1);
      }
    }
    return value;
  }
  if (types.has('array')) {
    const items = corpus.resolve(schema.items ?? {});
    const first = example(items, corpus, 'full', depth + 1);
    const least = typeof schema.minItems === 'number' ? schema.minItems : 0;
    const count = mode === 'full' ? Math.max(1, least) : least;
    return Array.from({ length: count }, (_, index) => distinctElement(items, first, index, corpus, depth));
  }
  if (types.has('integer') || types.has('number')) return numberInside(schema, types.has('integer'));
  if (types.has('string')) return stringInside(schema, corpus);
  if (types.has('boolean')) return true;
  if (types.has('null')) return null;
  return 'anything';
}

/** The index-th of distinct elements (for `uniqueItems`): numbers and strings differ by their value. */
function distinctElement(described: JsonSchema, first: unknown, index: number, corpus: Corpus, depth: number): unknown {
  if (index === 0) return first;
  const items = corpus.alternatives(described).find((flat) => !isNullOnly(flat)) ?? described;
  if (Array.isArray(items.enum)) return items.enum[index % items.enum.length];
  if (typeof first === 'number') return numberInside({ ...items, minimum: first + index }, true);
  if (typeof first === 'string') {
    const candidates = matchingStrings(patternOf(items), corpus, `distinct ${index}`, 20);
    return candidates.find((candidate) => candidate !== first && fitsLength(items, candidate)) ?? first;
  }
  return example(items, corpus, 'full', depth + 1);
}

function numberInside(schema: JsonSchema, integer: boolean): number {
  const low = Math.max(
    typeof schema.minimum === 'number' ? schema.minimum : -Infinity,
    typeof schema.exclusiveMinimum === 'number' ? schema.exclusiveMinimum + (integer ? 1 : 0.5) : -Infinity,
  );
  const high = Math.min(
    typeof schema.maximum === 'number' ? schema.maximum : Infinity,
    typeof schema.exclusiveMaximum === 'number' ? schema.exclusiveMaximum - (integer ? 1 : 0.5) : Infinity,
  );
  const step = typeof schema.multipleOf === 'number' ? schema.multipleOf : 1;
  for (const candidate of [1, 0, low, high, Math.ceil(low / step) * step, -1]) {
    if (Number.isFinite(candidate) && candidate >= low && candidate <= high && candidate % step === 0) return candidate;
  }
  return Number.isFinite(low) ? low : high;
}

function stringInside(schema: JsonSchema, corpus: Corpus): string {
  if (typeof schema.format === 'string' && FORMAT_SAMPLES[schema.format]) return FORMAT_SAMPLES[schema.format][0];
  if (typeof schema.pattern === 'string') {
    const samples = matchingStrings(new RegExp(schema.pattern, 'u'), corpus, 'example', 20);
    return samples.find((sample) => fitsLength(schema, sample)) ?? samples[0];
  }
  const length = Math.min(
    Math.max(3, typeof schema.minLength === 'number' ? schema.minLength : 0),
    typeof schema.maxLength === 'number' ? schema.maxLength : Infinity,
  );
  return 'abcdefghijklmnopqrstuvwxyz'.repeat(Math.ceil(length / 26)).slice(0, length);
}

/** Values to try against a class-validator rule: a fixed pool, values around its constraints, and samples. */
function candidates(constraints: unknown[] | undefined, corpus: Corpus, salt: string): unknown[] {
  const pool: unknown[] = [];
  for (const constraint of constraints ?? []) pool.push(...around(constraint, corpus, salt));
  pool.push(...POOL);
  pool.push(...corpus.sample(fc.jsonValue({ maxDepth: 2 }), `pool ${salt}`, 6));
  return pool;
}

function around(constraint: unknown, corpus: Corpus, salt: string): unknown[] {
  if (typeof constraint === 'number') {
    return [constraint, constraint - 1, constraint + 1, constraint * 2, constraint + 0.5, constraint - 0.01];
  }
  if (typeof constraint === 'string') {
    return [constraint, `x${constraint}x`, constraint.toUpperCase(), constraint.slice(1), `${constraint} `];
  }
  if (constraint instanceof RegExp) {
    const matching = matchingStrings(constraint, corpus, `rule ${salt}`);
    return [...matching, ...matching.map((value) => value.toUpperCase()), ...matching.map((value) => `${value}!`)];
  }
  if (Array.isArray(constraint)) return [...constraint, constraint, [...constraint, 'zzz'], []];
  if (isObjectLike(constraint)) return [...Object.values(constraint), ...Object.keys(constraint)];
  return [];
}

const POOL: readonly unknown[] = [
  null,
  true,
  false,
  0,
  1,
  -1,
  3,
  5,
  15,
  0.5,
  1.25,
  100,
  '',
  'a',
  'ab',
  'abc',
  'ABC',
  'ok',
  'is ok',
  'abba',
  'a b',
  '12',
  'zzzzzzzzzzzzzzzzzzzz',
  'user@example.com',
  '#1f2',
  '#12ab9f',
  '978-3-16-148410-0',
  '0306406152',
  'https://example.com/a',
  '2024-05-06T07:08:09Z',
  '127.0.0.1',
  [],
  ['a'],
  ['b', 'c'],
  [1, 2],
  {},
  { key: 1 },
];

/** One or more values that the format describes, as validator.js and ajv-formats both read them (or not). */
const FORMAT_SAMPLES: Record<string, string[]> = {
  email: ['user@example.com', 'first.last+tag@sub.example.org', 'a@b.co'],
  uuid: ['3b241101-e2bb-4255-8caf-4136c566a962', '00000000-0000-1000-8000-000000000000'],
  'date-time': ['2024-05-06T07:08:09Z', '2024-05-06T07:08:09.123+02:00', '2024-05-06'],
  date: ['2024-05-06', '2024-02-30'],
  uri: ['https://example.com/a?b=c', 'ftp://example.com', 'mailto:user@example.com', 'example.com'],
  ipv4: ['192.168.0.1', '255.255.255.255'],
  ipv6: ['::1', '2001:db8::1'],
  hostname: ['example.com', 'localhost'],
};

const FORMAT_NEAR_MISSES: Record<string, string[]> = {
  email: ['user@', 'user@localhost', 'user example@example.com'],
  uuid: ['3b241101e2bb48258caf4136c566a962', '3b241101-e2bb-4255-8caf-4136c566a96'],
  'date-time': ['2024-13-06T07:08:09Z', '2024-05-06 07:08:09', '06/05/2024'],
  date: ['2024-5-6', '2024-13-01'],
  uri: ['not a url', 'http://', '//example.com'],
  ipv4: ['256.0.0.1', '1.2.3', '01.2.3.4'],
  ipv6: ['::g', '1:2:3'],
  hostname: ['-example.com', 'exa mple.com'],
};

/**
 * Strings that `regex` matches. fast-check cannot generate for the `i` flag: the samples of the
 * case-sensitive pattern are then also given in other cases, which the flag accepts too. Nor for
 * lookarounds (the converter writes some): then strings of the pool and random ones that match.
 */
function matchingStrings(regex: RegExp, corpus: Corpus, salt: string, count = SAMPLES): string[] {
  const supported = new RegExp(regex.source, regex.flags.replace(/[^msu]/g, ''));
  let samples: string[];
  try {
    samples = corpus.sample(fc.stringMatching(supported), `${salt} ${regex.source}`, count);
  } catch {
    const strings = [...POOL, ...corpus.sample(fc.string({ maxLength: 12 }), `${salt} ${regex.source}`, 200)];
    samples = strings
      .filter((value): value is string => typeof value === 'string' && regex.test(value))
      .slice(0, count);
  }
  if (!regex.flags.includes('i')) return samples;
  return [...samples, ...samples.map((value) => value.toUpperCase())];
}

function isNullOnly(schema: JsonSchema): boolean {
  const types = typesOf(schema);
  return types.size === 1 && types.has('null');
}

/** Both schemas' keywords, with the types both allow (an integer is a number); undefined if they share none. */
function mergeSchemas(outer: JsonSchema, inner: JsonSchema): JsonSchema | undefined {
  const merged = { ...outer, ...inner };
  const [a, b] = [typesOf(outer), typesOf(inner)];
  if (a.size === 0 || b.size === 0) return merged;
  const both = [...b].filter((type) => a.has(type) || (type === 'integer' && a.has('number')));
  if (a.has('integer') && b.has('number') && !both.includes('integer')) both.push('integer');
  if (both.length === 0) return undefined;
  merged.type = both.length === 1 ? both[0] : both;
  return merged;
}

/** Whether `value` is of a JSON type `schema` names (any, when it names none). */
function fitsType(value: unknown, schema: JsonSchema): boolean {
  const types = typesOf(schema);
  if (types.size === 0) return true;
  if (value === null) return types.has('null');
  if (Array.isArray(value)) return types.has('array');
  if (typeof value === 'number') return types.has('number') || (types.has('integer') && Number.isInteger(value));
  return types.has(typeof value);
}

function typesOf(schema: JsonSchema): Set<string> {
  if (typeof schema.type === 'string') return new Set([schema.type]);
  if (Array.isArray(schema.type)) return new Set(schema.type as string[]);
  return new Set();
}

function patternOf(schema: JsonSchema): RegExp {
  return typeof schema.pattern === 'string' ? new RegExp(schema.pattern, 'u') : /^[a-z]{1,4}$/;
}

function fitsLength(schema: JsonSchema, value: string): boolean {
  const length = [...value].length;
  return (
    (typeof schema.minLength !== 'number' || length >= schema.minLength) &&
    (typeof schema.maxLength !== 'number' || length <= schema.maxLength)
  );
}

/** A copy of `root` with the value at `path` replaced (objects and arrays on the way copied, missing ones made). */
function setAt(root: unknown, path: Path, value: unknown): unknown {
  if (path.length === 0) return value;
  const [key, ...rest] = path;
  if (Array.isArray(root) || (!isObjectLike(root) && typeof key === 'number')) {
    const copy = Array.isArray(root) ? [...(root as unknown[])] : [];
    copy[Number(key)] = setAt(copy[Number(key)], rest, value);
    return copy;
  }
  const copy: Record<string, unknown> = isObjectLike(root) ? { ...(root as Record<string, unknown>) } : {};
  copy[key] = setAt(copy[key], rest, value);
  return copy;
}

function formatPath(path: Path): string {
  return path.map((key) => (typeof key === 'number' ? `[${key}]` : `.${key}`)).join('') || 'data';
}

function isDto(metatype: unknown): metatype is Type<object> {
  return (
    typeof metatype === 'function' &&
    ![Number, String, Boolean, Array, Object].includes(metatype as NumberConstructor) &&
    getMetadataStorage().getTargetValidationMetadatas(metatype, '', true, false).length > 0
  );
}

function nestedArrays(levels: number): unknown[] {
  let value: unknown[] = [];
  for (let level = 1; level < levels; level++) value = [value];
  return value;
}

function isPlainObject(value: unknown): value is Record<string, unknown> {
  return isObjectLike(value) && !Array.isArray(value);
}

function isObjectLike(value: unknown): value is object {
  return typeof value === 'object' && value !== null;
}

function asSchema(value: unknown): JsonSchema {
  if (value === true || value === undefined) return {};
  if (value === false) return { not: {} };
  return value as JsonSchema;
}

function asRecord(value: unknown): Record<string, unknown> {
  return isObjectLike(value) ? (value as Record<string, unknown>) : {};
}

/** A stable 32-bit hash of a label, to give each sample its own seed. */
function hash(text: string): number {
  let value = 2166136261;
  for (let index = 0; index < text.length; index++) value = Math.imul(value ^ text.charCodeAt(index), 16777619);
  return value >>> 0;
}
