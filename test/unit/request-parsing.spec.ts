import { parseCookies, parseQuery } from '../../lib/network/request-parsing.js';

const PROTOTYPE_KEYS = '__proto__=x&hasOwnProperty=z&constructor=c&toString=t&valueOf=v';

describe('parseQuery', () => {
  it('keeps every key as a plain string, including names of Object.prototype members', () => {
    const query = parseQuery(`/?${PROTOTYPE_KEYS}`);
    expect(Object.getPrototypeOf(query)).toBeNull();
    expect(Object.keys(query)).toEqual(['__proto__', 'hasOwnProperty', 'constructor', 'toString', 'valueOf']);
    expect(query['__proto__']).toBe('x');
    // eslint-disable-next-line @typescript-eslint/unbound-method -- a key named like an Object method holds a string here
    expect(query.hasOwnProperty).toBe('z');
    expect(query.constructor).toBe('c');
    expect(JSON.stringify(query)).toBe(
      '{"__proto__":"x","hasOwnProperty":"z","constructor":"c","toString":"t","valueOf":"v"}',
    );
  });

  it('a repeated key gives an array, even for a key named after an inherited member', () => {
    expect({ ...parseQuery('/?a=1&a=2&a=3&constructor=1&constructor=2&b=') }).toEqual({
      a: ['1', '2', '3'],
      constructor: ['1', '2'],
      b: '',
    });
  });

  it('no query string, an empty one, encoded keys', () => {
    expect(Object.keys(parseQuery('/'))).toEqual([]);
    expect(Object.keys(parseQuery('/path?'))).toEqual([]);
    expect({ ...parseQuery('/?%5F%5Fproto%5F%5F=1&a+b=c%20d') }).toEqual({ ['__proto__']: '1', 'a b': 'c d' });
  });
});

describe('parseCookies', () => {
  it('keeps cookies named after Object.prototype members as plain strings', () => {
    const cookies = parseCookies('__proto__=x; hasOwnProperty=z; constructor=c; key=k');
    expect(Object.getPrototypeOf(cookies)).toBeNull();
    expect(cookies['__proto__']).toBe('x');
    // eslint-disable-next-line @typescript-eslint/unbound-method -- a key named like an Object method holds a string here
    expect(cookies.hasOwnProperty).toBe('z');
    expect(cookies.constructor).toBe('c');
    expect(cookies.key).toBe('k');
  });

  it('the first of a repeated name wins, also for inherited names; values are decoded and unquoted', () => {
    expect({ ...parseCookies('toString=1; toString=2; a="b%20c"; bad=%E0%A4%A; =empty; novalue') }).toEqual({
      toString: '1',
      a: 'b c',
      bad: '%E0%A4%A',
    });
    expect(Object.keys(parseCookies(undefined))).toEqual([]);
  });
});
