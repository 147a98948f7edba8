import type { FieldError } from '../../lib/protocol/errors.js';
import { readAny, readArray, readBoolean, readNumber, readString } from '../../lib/validation/primitive-readers.js';
import { fail, label, type ValueReader } from '../../lib/validation/value-reader.js';

interface Outcome {
  value: unknown;
  errors: FieldError[];
}

function run(reader: ValueReader, value: unknown, path = 'field'): Outcome {
  const errors: FieldError[] = [];
  return { value: reader(value, path, errors), errors };
}

/** The reader accepted `input` and produced `expected`, reporting nothing. */
function expectAccepted(reader: ValueReader, input: unknown, expected: unknown): void {
  const outcome = run(reader, input);
  expect(outcome.errors).toEqual([]);
  expect(outcome.value).toBe(expected);
}

/** The reader refused `input` at `path` with exactly `message`, returning undefined. */
function expectRefused(reader: ValueReader, input: unknown, path: string, message: string): void {
  const outcome = run(reader, input, path);
  expect(outcome.value).toBeUndefined();
  expect(outcome.errors).toEqual([{ path, messages: [message] }]);
}

const NUMBER_MESSAGE = 'must be a number conforming to the specified constraints';

describe('readNumber', () => {
  it.each([0, 5, -1, 2.5, -0.125, 1e21, Number.MAX_SAFE_INTEGER])('accepts the number %p as is', (n) => {
    expectAccepted(readNumber, n, n);
  });

  it.each([
    ['5', 5],
    [' 2.5 ', 2.5],
    ['-1e3', -1000],
    ['.5', 0.5],
    ['+7', 7],
    ['5.', 5],
    ['0', 0],
    ['-0.25', -0.25],
    ['1E2', 100],
    ['2.5e-1', 0.25],
    ['\t10\n', 10],
  ])('accepts the numeric string %j as %p', (text, n) => {
    expectAccepted(readNumber, text, n);
  });

  it('returns a number (not the string) for a numeric string', () => {
    expect(typeof run(readNumber, '5').value).toBe('number');
  });

  it.each([
    ['abc', 'abc'],
    ['an empty string', ''],
    ['whitespace', '   '],
    ['hex 0x10', '0x10'],
    ['"Infinity"', 'Infinity'],
    ['"-Infinity"', '-Infinity'],
    ['a number string too large for a double', '1e400'],
    ['"NaN"', 'NaN'],
    ['5abc', '5abc'],
    ['1,5', '1,5'],
    ['1_000', '1_000'],
    ['"."', '.'],
    ['"e5"', 'e5'],
    ['"0b101"', '0b101'],
    ['true', true],
    ['false', false],
    ['null', null],
    ['{}', {}],
    ['[]', []],
    ['[5]', [5]],
    ['NaN', NaN],
    ['Infinity', Infinity],
    ['-Infinity', -Infinity],
  ])('refuses %s', (_label, input) => {
    expectRefused(readNumber, input, 'count', `count ${NUMBER_MESSAGE}`);
  });

  it("names the whole data object 'data' when the path is ''", () => {
    expectRefused(readNumber, 'abc', '', `data ${NUMBER_MESSAGE}`);
  });

  it('uses a dotted path as given', () => {
    expectRefused(readNumber, 'abc', 'user.age', `user.age ${NUMBER_MESSAGE}`);
  });

  it('leaves undefined undefined, without an error', () => {
    expectAccepted(readNumber, undefined, undefined);
  });
});

describe('readBoolean', () => {
  it.each([
    [true, true],
    [false, false],
    [1, true],
    [0, false],
  ])('accepts %p as %p', (input, expected) => {
    expectAccepted(readBoolean, input, expected);
  });

  it.each([
    ['true', true],
    ['True', true],
    ['TRUE', true],
    ['false', false],
    ['FALSE', false],
    ['yes', true],
    ['YES', true],
    ['no', false],
    ['on', true],
    ['off', false],
    ['t', true],
    ['f', false],
    ['y', true],
    ['n', false],
    ['1', true],
    ['0', false],
  ])('accepts the string %j as %p', (input, expected) => {
    expectAccepted(readBoolean, input, expected);
  });

  it.each([
    ['2', 2],
    ['-1', -1],
    ['0.5', 0.5],
    ['"maybe"', 'maybe'],
    ['""', ''],
    ['"2"', '2'],
    ['"yess"', 'yess'],
    ['null', null],
    ['{}', {}],
    ['[]', []],
    ['NaN', NaN],
  ])('refuses %s', (_label, input) => {
    expectRefused(readBoolean, input, 'flag', 'flag must be a boolean value');
  });

  it("names the whole data object 'data' when the path is ''", () => {
    expectRefused(readBoolean, 'maybe', '', 'data must be a boolean value');
  });

  it('leaves undefined undefined, without an error', () => {
    expectAccepted(readBoolean, undefined, undefined);
  });
});

describe('readString', () => {
  it.each(['', 'text', ' padded ', '5', 'true'])('accepts the string %j as is', (text) => {
    expectAccepted(readString, text, text);
  });

  it.each([
    ['a number', 5],
    ['zero', 0],
    ['true', true],
    ['null', null],
    ['an object', { a: 1 }],
    ['an array', ['a']],
  ])('refuses %s', (_label, input) => {
    expectRefused(readString, input, 'name', 'name must be a string');
  });

  it("names the whole data object 'data' when the path is ''", () => {
    expectRefused(readString, 1, '', 'data must be a string');
  });

  it('leaves undefined undefined, without an error', () => {
    expectAccepted(readString, undefined, undefined);
  });
});

describe('readArray', () => {
  it.each([
    ['an empty array', []],
    ['an array of numbers', [1, 2, 3]],
    ['a mixed array', ['a', null, { b: 1 }]],
  ])('accepts %s, returning the same array', (_label, list) => {
    expectAccepted(readArray, list, list);
  });

  it.each([
    ['a string', 'a,b'],
    ['a number', 1],
    ['null', null],
    ['an object', { 0: 'a', length: 1 }],
    ['true', true],
  ])('refuses %s', (_label, input) => {
    expectRefused(readArray, input, 'tags', 'tags must be an array');
  });

  it("names the whole data object 'data' when the path is ''", () => {
    expectRefused(readArray, {}, '', 'data must be an array');
  });

  it('leaves undefined undefined, without an error', () => {
    expectAccepted(readArray, undefined, undefined);
  });
});

describe('readAny', () => {
  it.each([undefined, null, 0, '', 'x', false, [1], { a: 1 }])('returns %p as is, without an error', (value) => {
    expectAccepted(readAny, value, value);
  });
});

describe('errors accumulate across readers', () => {
  it('appends one entry per failure, in order, keeping earlier entries', () => {
    const errors: FieldError[] = [{ path: 'earlier', messages: ['earlier is wrong'] }];
    readNumber('x', 'a', errors);
    readString(1, 'b', errors);
    readNumber(3, 'c', errors);
    readBoolean('maybe', 'd', errors);
    readArray('no', 'e', errors);
    expect(errors).toEqual([
      { path: 'earlier', messages: ['earlier is wrong'] },
      { path: 'a', messages: [`a ${NUMBER_MESSAGE}`] },
      { path: 'b', messages: ['b must be a string'] },
      { path: 'd', messages: ['d must be a boolean value'] },
      { path: 'e', messages: ['e must be an array'] },
    ]);
  });
});

describe('value-reader helpers', () => {
  it("label is the path, or 'data' for ''", () => {
    expect(label('')).toBe('data');
    expect(label('user')).toBe('user');
    expect(label('user.address.zipcode')).toBe('user.address.zipcode');
  });

  it('fail pushes {path, messages:[`<label> <message>`]} and returns undefined', () => {
    const errors: FieldError[] = [];
    expect(fail(errors, 'user.name', 'is odd')).toBeUndefined();
    expect(fail(errors, '', 'is odd')).toBeUndefined();
    expect(errors).toEqual([
      { path: 'user.name', messages: ['user.name is odd'] },
      { path: '', messages: ['data is odd'] },
    ]);
  });
});
