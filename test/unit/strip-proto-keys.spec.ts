import { stripProtoKeys } from '../../lib/validation/strip-proto-keys.js';

describe('stripProtoKeys', () => {
  it('removes __proto__, prototype and constructor at every depth, in objects and arrays', () => {
    const data = JSON.parse(
      '{"a":1,"__proto__":{"x":1},"prototype":2,"constructor":3,"nested":{"constructor":{"prototype":1},' +
        '"keep":"k","list":[{"__proto__":[]},5,null,{"deep":{"prototype":0}}]}}',
    ) as unknown;
    stripProtoKeys(data);
    expect(data).toEqual({ a: 1, nested: { keep: 'k', list: [{}, 5, null, { deep: {} }] } });
    expect(Object.hasOwn(data as object, '__proto__')).toBe(false);
  });

  it('leaves primitives and flat objects without such keys as they are', () => {
    for (const value of [null, undefined, 0, 'text', true]) expect(() => stripProtoKeys(value)).not.toThrow();
    const flat = { a: 1, b: 'x' };
    stripProtoKeys(flat);
    expect(flat).toEqual({ a: 1, b: 'x' });
  });

  it('walks nesting far deeper than the call stack allows', () => {
    const depth = 200_000;
    const data = JSON.parse('{"a":'.repeat(depth) + '{"constructor":1}' + '}'.repeat(depth)) as Record<string, unknown>;
    stripProtoKeys(data);
    let inner = data;
    for (let i = 0; i < depth; i++) inner = inner.a as Record<string, unknown>;
    expect(inner).toEqual({});
  });
});
