import { matches } from 'class-validator';
import { regExpToPattern } from '../../lib/schema/regexp-pattern.js';
import { jsonSchemaVerdict } from './schema-verdicts.js';

const TEXTS = [
  '',
  'a',
  'A',
  'abc',
  'ABC',
  'aBc',
  'xabcx',
  'abc\nabc',
  'b',
  'ba',
  'Z',
  'z',
  '[',
  '_',
  '0',
  '123',
  'x123',
  '12-34',
  'é',
  'É',
  'K',
  'ſ',
  '😀',
  'hello world',
  'Hello World',
  '2024-01-02',
  'a-b',
  'foo.bar',
  'FOO.BAR',
];

// Every row has its three cells: jest takes a test function of more parameters than cells for a done-callback one.
const EXPRESSIBLE: Array<[string, RegExp | string, string | undefined]> = [
  ['plain, unanchored', /bc/, undefined],
  ['anchored', /^abc$/, undefined],
  ['classes and quantifiers', /^[a-z]{2,3}\d*$/, undefined],
  ['i on letters', /^abc$/i, undefined],
  ['i on a class and a range', /^[a-c_]+$/i, undefined],
  ['i on a negated class', /^[^a-c]+$/i, undefined],
  ['i with escapes', /^\w+\.[a-z]+$/i, undefined],
  ['i with groups and alternation', /^(?:foo|bar)(\.baz)?$/i, undefined],
  ['g is harmless', /b/g, undefined],
  ['a string with modifiers', '^[A-Z]+$', 'i'],
  ['a string with y (a new RegExp per call)', 'b', 'y'],
  ['gy: match from index 0', /a|b/gy, undefined],
  ['u', /^.$/u, undefined],
  ['digits and hyphen', /^\d{2}-\d{2}$/, undefined],
];

describe('regExpToPattern: a JSON Schema pattern that accepts exactly what class-validator @Matches accepts', () => {
  it.each(EXPRESSIBLE)('%s', (_label, source, modifiers) => {
    const result = regExpToPattern(source, modifiers);
    if (!('pattern' in result)) throw new Error(result.reason);
    const schema = jsonSchemaVerdict({ type: 'string', pattern: result.pattern }, {});

    const disagreements = TEXTS.filter((text) => schema(text) !== matches(text, source as string, modifiers as string));

    expect(disagreements).toEqual([]);
  });

  it.each<[string, RegExp | string, string | undefined]>([
    ['m', /^b$/m, undefined],
    ['s', /a.c/s, undefined],
    ['iu', /^k$/iu, undefined],
    ['i with a back-reference', /^(a)\1$/i, undefined],
    ['i with non-ASCII text', /^é$/i, undefined],
    ['i with a named group', /^(?<x>a)$/i, undefined],
    ['a sticky RegExp object, whose lastIndex carries over', /b/y, undefined],
    ['not valid under u', new RegExp('\\-'), undefined],
    ['not a valid expression', '(', ''],
  ])('reports what it cannot express: %s', (_label, source, modifiers) => {
    expect(regExpToPattern(source, modifiers)).toEqual({ reason: expect.any(String) });
  });
});
