import { isJsonPrimitive, NOTHING, type JsonSchema } from './json-schema.js';
import { regExpToPattern } from './regexp-pattern.js';

/**
 * What one class-validator constraint becomes: the schema of exactly the JSON values it accepts, or,
 * with `unconstrained`, a schema that accepts more than the constraint (the part that could be
 * expressed) and the reason.
 */
export interface ConstraintSchema {
  schema: JsonSchema;
  unconstrained?: string;
}

class PartialSchema implements ConstraintSchema {
  constructor(
    readonly schema: JsonSchema,
    readonly unconstrained: string,
  ) {}
}

type Rule = (constraints: unknown[]) => JsonSchema | PartialSchema;

/** The rule of `name` applied to a metadata's constraints; `undefined` for a name the table does not know. */
export function constraintSchema(name: string, constraints: unknown[]): ConstraintSchema | undefined {
  if (!Object.hasOwn(CONSTRAINT_TABLE, name)) return undefined;
  const result = CONSTRAINT_TABLE[name](constraints);
  return result instanceof PartialSchema ? result : { schema: result };
}

/**
 * class-validator's built-in constraints, by the name their decorator registers (the metadata's
 * `name`), each as the JSON Schema of the JSON values it accepts. A value is checked against every
 * constraint of its property, so a property's schema is the conjunction of these. Each rule mirrors
 * the function class-validator 0.15 calls (validator.js 13.15 for strings); where options cannot be
 * expressed exactly the rule says why, and a name missing from this table is reported by the caller:
 * no decorator is ever read approximately without saying so.
 */
// Decorators whose check is `typeof value === 'string' && <a validator.js function>` with no
// equivalent JSON Schema (ajv-formats' `email`, `uri`, `ipv4`… accept other sets): the string type
// is exact, the rest is reported.
const VALIDATOR_JS_STRING_CHECKS = [
  'isBIC',
  'isBase64',
  'isBtcAddress',
  'isByteLength',
  'isCreditCard',
  'isCurrency',
  'isDataURI',
  'isDecimal',
  'isEAN',
  'isEmail',
  'isEthereumAddress',
  'isFqdn',
  'isFullWidth',
  'isHSL',
  'isHalfWidth',
  'isHash',
  'isIBAN',
  'isIp',
  'isIsbn',
  'isIsin',
  'isISO31661Alpha2',
  'isISO31661Alpha3',
  'isISO31661Numeric',
  'isISRC',
  'isISSN',
  'isIdentityCard',
  'isJson',
  'isJwt',
  'isLocale',
  'isLowercase',
  'isMacAddress',
  'isMagnetURI',
  'isMimeType',
  'isMobilePhone',
  'isMultibyte',
  'isPassportNumber',
  'isPhoneNumber',
  'isPort',
  'isPostalCode',
  'isRFC3339',
  'isRgbColor',
  'isStrongPassword',
  'isSurrogatePair',
  'isTimeZone',
  'isUppercase',
  'isUrl',
  'isVariableWidth',
  'isISO4217CurrencyCode',
  'isTaxId',
  'isISO6391',
  'isLatLong',
];

/**
 * validator.js checks that are one regular expression with their default options (copied from
 * validator.js 13.15, converted like a @Matches pattern): the expression, or `undefined` for options
 * that change it.
 */
const VALIDATOR_JS_EXPRESSIONS: Record<string, (constraints: unknown[]) => RegExp | undefined> = {
  isAlpha: ([locale]) => (locale === undefined || locale === 'en-US' ? /^[A-Z]+$/i : undefined),
  isAlphanumeric: ([locale]) => (locale === undefined || locale === 'en-US' ? /^[0-9A-Z]+$/i : undefined),
  // eslint-disable-next-line no-control-regex -- validator.js's expression: every ASCII character, controls included.
  isAscii: () => /^[\x00-\x7F]+$/,
  // Base32 also needs a length that is a multiple of 8: the ASCII alphabet makes `[\s\S]` one character.
  isBase32: () => /^(?=(?:[\s\S]{8})*$)[A-Z2-7]+=*$/,
  isBase58: () => /^[A-HJ-NP-Za-km-z1-9]*$/,
  isHexColor: () => /^#?([0-9A-F]{3}|[0-9A-F]{4}|[0-9A-F]{6}|[0-9A-F]{8})$/i,
  isHexadecimal: () => /^(0x|0h)?[0-9A-F]+$/i,
  // isHexadecimal and 24 characters long.
  isMongoId: () => /^(?:0[xh][0-9A-F]{22}|[0-9A-F]{24})$/i,
  isOctal: () => /^(0o)?[0-7]+$/i,
  isSemVer: () =>
    /^(0|[1-9]\d*)\.(0|[1-9]\d*)\.(0|[1-9]\d*)(?:-((?:0|[1-9]\d*|\d*[a-z-][0-9a-z-]*)(?:\.(?:0|[1-9]\d*|\d*[a-z-][0-9a-z-]*))*))?(?:\+([0-9a-z-]+(?:\.[0-9a-z-]+)*))?$/i,
};

const CONSTRAINT_TABLE: Readonly<Record<string, Rule>> = {
  isDefined: () => ({ not: { type: 'null' } }),
  equals: ([comparison]) => (isJsonPrimitive(comparison) ? { const: comparison } : NOTHING),
  notEquals: ([comparison]) => (isJsonPrimitive(comparison) ? { not: { const: comparison } } : {}),
  isEmpty: () => ({ enum: ['', null] }),
  isNotEmpty: () => ({ not: { enum: ['', null] } }),
  isIn: ([values]) => oneOf(Array.isArray(values) ? values : []),
  isNotIn: ([values]) => noneOf(Array.isArray(values) ? values : []),

  isString: () => ({ type: 'string' }),
  isBoolean: () => ({ type: 'boolean' }),
  isInt: () => ({ type: 'integer' }),
  isNumber: ([options]) =>
    // NaN and ±Infinity are not JSON: allowNaN / allowInfinity change nothing for parsed data.
    (options as { maxDecimalPlaces?: number } | undefined)?.maxDecimalPlaces === undefined
      ? { type: 'number' }
      : new PartialSchema(
          { type: 'number' },
          'maxDecimalPlaces counts the digits of the number written out; multipleOf is not the same test',
        ),
  isArray: () => ({ type: 'array' }),
  // A Date instance, which JSON never makes (a @Type(() => Date) property is reported as converted).
  isDate: () => NOTHING,
  minDate: () => NOTHING,
  maxDate: () => NOTHING,
  isObject: () => ({ type: 'object' }),
  // Object.values: a numeric enum's reverse-mapped member names are accepted too, as class-validator does.
  isEnum: ([entity]) => oneOf(Object.values(entity as object)),

  min: ([bound]) => (typeof bound === 'number' ? { type: 'number', minimum: bound } : NOTHING),
  max: ([bound]) => (typeof bound === 'number' ? { type: 'number', maximum: bound } : NOTHING),
  isPositive: () => ({ type: 'number', exclusiveMinimum: 0 }),
  isNegative: () => ({ type: 'number', exclusiveMaximum: 0 }),
  isDivisibleBy: ([divisor]) =>
    // validator.js tests `value % parseInt(divisor)`: exact as multipleOf for a positive integer divisor.
    Number.isSafeInteger(divisor) && (divisor as number) > 0
      ? new PartialSchema(
          { type: 'number', multipleOf: divisor },
          'a remainder of floats differs from multipleOf for fractions',
        )
      : new PartialSchema({ type: 'number' }, 'validator.js truncates a divisor that is not a positive integer'),

  minLength: (constraints) => lengthSchema(lengthBounds('minLength', constraints)),
  maxLength: (constraints) => lengthSchema(lengthBounds('maxLength', constraints)),
  isLength: (constraints) => lengthSchema(lengthBounds('isLength', constraints)),
  matches: ([pattern, modifiers]) => {
    const result = regExpToPattern(pattern as string | RegExp, modifiers as string | undefined);
    return 'pattern' in result
      ? { type: 'string', pattern: result.pattern }
      : new PartialSchema({ type: 'string' }, result.reason);
  },
  contains: ([seed]) => ({ type: 'string', pattern: escapeRegExp(String(seed)) }),
  notContains: ([seed]) => ({ type: 'string', not: { pattern: escapeRegExp(String(seed)) } }),
  isBooleanString: () => ({ enum: ['true', 'false', '1', '0'] }),
  isNumberString: ([options]) => {
    const { no_symbols: digitsOnly, locale } = (options ?? {}) as { no_symbols?: boolean; locale?: string };
    if (digitsOnly) return { type: 'string', pattern: '^[0-9]+$' };
    if (locale) return new PartialSchema({ type: 'string' }, 'a locale changes the decimal separator accepted');
    return { type: 'string', pattern: '^[+-]?([0-9]*[.])?[0-9]+$' };
  },
  isUuid: ([version]) => uuid(version),
  ...Object.fromEntries(
    Object.entries(VALIDATOR_JS_EXPRESSIONS).map(([name, expression]) => [
      name,
      (constraints: unknown[]) => {
        const regExp = expression(constraints);
        if (!regExp)
          return new PartialSchema({ type: 'string' }, `this option of validator.js's ${name} is not expressed`);
        const result = regExpToPattern(regExp);
        return 'pattern' in result
          ? { type: 'string', pattern: result.pattern }
          : new PartialSchema({ type: 'string' }, result.reason);
      },
    ]),
  ),
  IsFirebasePushId: () => ({ type: 'string', pattern: '^[a-zA-Z0-9_-]{20}$' }),
  isMilitaryTime: () => ({ type: 'string', pattern: '^([01]\\d|2[0-3]):?([0-5]\\d)$' }),
  ...Object.fromEntries(
    VALIDATOR_JS_STRING_CHECKS.map((name) => [
      name,
      () =>
        new PartialSchema({ type: 'string' }, `validator.js's ${name} is a function no JSON Schema keyword matches`),
    ]),
  ),
  isIso8601: ([options]) => iso8601(options),
  isDateString: ([options]) => iso8601(options),

  arrayNotEmpty: () => ({ type: 'array', minItems: 1 }),
  arrayMinSize: ([min]) => ({ type: 'array', minItems: min }),
  arrayMaxSize: ([max]) => ({ type: 'array', maxItems: max }),
  arrayContains: ([values]) => {
    const wanted = Array.isArray(values) ? values : [];
    // `indexOf` compares by identity: an object or array among `values` is never found.
    if (!wanted.every(isJsonPrimitive)) return NOTHING;
    if (wanted.length === 0) return { type: 'array' };
    return { type: 'array', allOf: wanted.map((value) => ({ contains: { const: value } })) };
  },
  arrayNotContains: ([values]) => {
    const unwanted = (Array.isArray(values) ? values : []).filter(isJsonPrimitive);
    return unwanted.length > 0 ? { type: 'array', not: { contains: { enum: unwanted } } } : { type: 'array' };
  },
  arrayUnique: ([identifier]) => {
    if (identifier !== undefined) {
      return new PartialSchema({ type: 'array' }, 'an identifier function picks what is compared');
    }
    // `indexOf` compares items by identity: equal JSON objects are distinct items for class-validator
    // and duplicates for `uniqueItems`; so uniqueness holds exactly for arrays of primitives only.
    return new PartialSchema(
      { type: 'array', if: { not: { contains: { type: ['object', 'array'] } } }, then: { uniqueItems: true } },
      'an array holding objects or arrays: its primitive items must still be unique, which is not checked',
    );
  },
  // The prototype keys are stripped from the data before validation: they do not make an object non-empty.
  isNotEmptyObject: ([options]) =>
    (options as { nullable?: boolean } | undefined)?.nullable === false
      ? { type: 'object', not: { patternProperties: { [STRIPPED]: {} }, additionalProperties: { type: 'null' } } }
      : { type: 'object', not: { propertyNames: { enum: STRIPPED_KEYS } } },
};

/** `enum` of the values a `===` comparison with parsed JSON can match (objects never match). */
function oneOf(values: unknown[]): JsonSchema {
  const primitives = values.filter(isJsonPrimitive);
  return primitives.length > 0 ? { enum: [...new Set(primitives)] } : NOTHING;
}

function noneOf(values: unknown[]): JsonSchema {
  const primitives = values.filter(isJsonPrimitive);
  return primitives.length > 0 ? { not: { enum: [...new Set(primitives)] } } : {};
}

// Keys removed from all data before validation (lib/validation/strip-proto-keys.ts).
export const STRIPPED_KEYS = ['__proto__', 'prototype', 'constructor'];
const STRIPPED = `^(?:${STRIPPED_KEYS.join('|')})$`;

// U+FE0E / U+FE0F, the text and emoji presentation selectors.
const SELECTOR = '[\\uFE0E\\uFE0F]';

/**
 * validator.js's isLength counts code points (a surrogate pair is one, as JSON Schema counts), less
 * each presentation selector that directly follows another character: `"✌️"` is one character to it
 * and two to `maxLength`. So `minLength` is kept (never stricter than the server), and a string that
 * holds a selector is measured by a pattern that counts the way validator.js does (a character
 * takes the selector after it; other selectors count one each); `maxLength` applies to the others.
 */
export interface LengthBounds {
  min: number;
  max?: number;
}

/** The bounds of a length rule (`MinLength`, `MaxLength`, `Length`), or `undefined` for another rule. */
export function lengthBounds(name: string, constraints: unknown[]): LengthBounds | undefined {
  const bound = (value: unknown): number | undefined => (typeof value === 'number' ? value : undefined);
  if (name === 'minLength') return { min: bound(constraints[0]) ?? 0 };
  if (name === 'maxLength') return { min: 0, max: bound(constraints[0]) };
  if (name === 'isLength') return { min: bound(constraints[0]) ?? 0, max: bound(constraints[1]) };
  return undefined;
}

/** Several length rules on one value: one range, their intersection. */
export function intersectLengths(a: LengthBounds, b: LengthBounds): LengthBounds {
  const max = a.max === undefined ? b.max : b.max === undefined ? a.max : Math.min(a.max, b.max);
  return { min: Math.max(a.min, b.min), max };
}

export function lengthSchema(bounds: LengthBounds | undefined): JsonSchema {
  const lower = bounds && bounds.min > 0 ? bounds.min : 0;
  const upper = bounds?.max;
  if (lower === 0 && upper === undefined) return { type: 'string' };
  const unit = `(?:[^\\uFE0E\\uFE0F](?:${SELECTOR}|(?!${SELECTOR}))|${SELECTOR})`;
  return {
    type: 'string',
    ...(lower > 0 ? { minLength: lower } : {}),
    if: { pattern: SELECTOR },
    then: { pattern: `^${unit}{${lower},${upper ?? ''}}$` },
    ...(upper === undefined ? {} : { else: { maxLength: upper } }),
  };
}

function escapeRegExp(text: string): string {
  return text.replace(/[.*+?^${}()|[\]\\]/g, '\\$&');
}

// validator.js's UUID expressions (isUUID.js), with the case their `i` flag allows spelled out.
const HEX = '[0-9a-fA-F]';
const UUID_PATTERNS: Record<string, string> = {
  loose: `^${HEX}{8}-${HEX}{4}-${HEX}{4}-${HEX}{4}-${HEX}{12}$`,
  all:
    `^(?:${HEX}{8}-${HEX}{4}-[1-8]${HEX}{3}-[89abAB]${HEX}{3}-${HEX}{12}` +
    '|00000000-0000-0000-0000-000000000000|[fF]{8}-[fF]{4}-[fF]{4}-[fF]{4}-[fF]{12})$',
  ...Object.fromEntries(
    ['1', '2', '3', '4', '5', '6', '7', '8'].map((version) => [
      version,
      `^${HEX}{8}-${HEX}{4}-${version}${HEX}{3}-[89abAB]${HEX}{3}-${HEX}{12}$`,
    ]),
  ),
};

/** class-validator accepts one version or an array of them (any of which may match). */
function uuid(version: unknown): JsonSchema {
  const versions = Array.isArray(version) ? version : [version];
  const patterns = versions
    .map((one) => (one === undefined || one === null ? 'all' : String(one)))
    .filter((key) => Object.hasOwn(UUID_PATTERNS, key))
    .map((key) => UUID_PATTERNS[key]);
  if (patterns.length === 0) return NOTHING;
  if (patterns.length === 1) return { type: 'string', pattern: patterns[0] };
  return { type: 'string', anyOf: patterns.map((pattern) => ({ pattern })) };
}

// validator.js's ISO 8601 expression (isISO8601.js), verbatim: it has no flags.
const ISO8601 =
  '^([\\+-]?\\d{4}(?!\\d{2}\\b))((-?)((0[1-9]|1[0-2])(\\3([12]\\d|0[1-9]|3[01]))?|W([0-4]\\d|5[0-3])(-?[1-7])?|' +
  '(00[1-9]|0[1-9]\\d|[12]\\d{2}|3([0-5]\\d|6[1-6])))([T\\s]((([01]\\d|2[0-3])((:?)[0-5]\\d)?|24:?00)([\\.,]\\d+(?!:))?)?' +
  '(\\17[0-5]\\d([\\.,]\\d+)?)?([zZ]|([\\+-])([01]\\d|2[0-3]):?([0-5]\\d)?)?)?)?$';

function iso8601(options: unknown): JsonSchema | PartialSchema {
  const { strict, strictSeparator } = (options ?? {}) as { strict?: boolean; strictSeparator?: boolean };
  if (strict || strictSeparator) {
    return new PartialSchema({ type: 'string' }, 'strict ISO 8601 also checks that the date exists');
  }
  return { type: 'string', pattern: ISO8601 };
}
