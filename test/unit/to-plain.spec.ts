import 'reflect-metadata';
import { Exclude, Expose } from 'class-transformer';
import { toPlain, UnserializableValueError } from '../../lib/protocol/to-plain.js';

class User {
  id: number;
  name: string;
  @Exclude()
  password: string;

  constructor(id: number, name: string, password: string) {
    this.id = id;
    this.name = name;
    this.password = password;
  }
}

class Room {
  title: string;
  @Exclude()
  secret: string;
  owner: User;

  constructor(title: string, owner: User) {
    this.title = title;
    this.secret = 'hidden';
    this.owner = owner;
  }
}

class Public {
  @Expose()
  shown = 'yes';
  internal = 'no';
}

const ann = () => new User(1, 'Ann', 'hunter2');

/** The value as a client decodes it. */
const wire = (value: unknown): unknown => JSON.parse(JSON.stringify(value));

describe('toPlain', () => {
  describe('plain values are returned as the same reference', () => {
    it.each([
      ['a plain object', { a: 1, b: 'two' }],
      ['an empty object', {}],
      ['a nested plain object', { a: { b: { c: [1, 2, { d: null }] } } }],
      ['an array of plain values', [1, 'x', null, { y: true }, [2]]],
      ['an empty array', []],
      ['an object without prototype', Object.assign(Object.create(null) as object, { k: 'v' })],
    ])('%s', (_label, value) => {
      expect(toPlain(value)).toBe(value);
    });

    it.each([
      ['a string', 'text'],
      ['an empty string', ''],
      ['a number', 42],
      ['zero', 0],
      ['false', false],
      ['true', true],
      ['null', null],
      ['undefined', undefined],
    ])('%s', (_label, value) => {
      expect(toPlain(value)).toBe(value);
    });

    it('does not alter a plain object', () => {
      const value = { password: 'kept', nested: { list: [1, 2] } };
      toPlain(value);
      expect(value).toEqual({ password: 'kept', nested: { list: [1, 2] } });
    });
  });

  describe('class instances go through class-transformer', () => {
    it('removes an @Exclude() field', () => {
      const plain = toPlain(ann());
      expect(plain).toEqual({ id: 1, name: 'Ann' });
      expect(plain).not.toHaveProperty('password');
      expect(wire(plain)).toEqual({ id: 1, name: 'Ann' });
    });

    it('returns a plain object, not the instance', () => {
      const user = ann();
      const plain = toPlain(user);
      expect(plain).not.toBe(user);
      expect(plain).not.toBeInstanceOf(User);
      expect(Object.getPrototypeOf(plain)).toBe(Object.prototype);
    });

    it('does not modify the instance', () => {
      const user = ann();
      toPlain(user);
      expect(user.password).toBe('hunter2');
    });

    it('removes the field of an instance nested in a plain object', () => {
      const plain = toPlain({ ok: true, user: ann() });
      expect(wire(plain)).toEqual({ ok: true, user: { id: 1, name: 'Ann' } });
      expect((plain as { user: object }).user).not.toHaveProperty('password');
    });

    it('removes the field of an instance deep in plain objects', () => {
      const plain = toPlain({ a: { b: { c: { user: ann() } } } });
      expect(wire(plain)).toEqual({ a: { b: { c: { user: { id: 1, name: 'Ann' } } } } });
    });

    it('removes the field of instances inside an array', () => {
      const plain = toPlain([ann(), new User(2, 'Bob', 'pw')]);
      expect(Array.isArray(plain)).toBe(true);
      expect(wire(plain)).toEqual([
        { id: 1, name: 'Ann' },
        { id: 2, name: 'Bob' },
      ]);
    });

    it('removes the field of an instance mixed with plain values in an array', () => {
      expect(wire(toPlain([1, 'x', { plain: true }, ann()]))).toEqual([
        1,
        'x',
        { plain: true },
        { id: 1, name: 'Ann' },
      ]);
    });

    it('removes the field of instances in an array inside a plain object', () => {
      expect(wire(toPlain({ users: [ann()], total: 1 }))).toEqual({ users: [{ id: 1, name: 'Ann' }], total: 1 });
    });

    it('applies @Exclude() at every level of nested instances', () => {
      expect(wire(toPlain(new Room('Lobby', ann())))).toEqual({ title: 'Lobby', owner: { id: 1, name: 'Ann' } });
    });

    it('passes the options to class-transformer', () => {
      expect(wire(toPlain(new Public(), { excludeExtraneousValues: true }))).toEqual({ shown: 'yes' });
      expect(wire(toPlain(new Public()))).toEqual({ shown: 'yes', internal: 'no' });
    });
  });

  describe('Date', () => {
    const at = new Date('2024-05-06T07:08:09.010Z');

    it('stays serializable to its ISO string at the top level', () => {
      expect(JSON.stringify(toPlain(at))).toBe(JSON.stringify('2024-05-06T07:08:09.010Z'));
    });

    it('stays serializable inside a plain object', () => {
      expect(wire(toPlain({ at }))).toEqual({ at: '2024-05-06T07:08:09.010Z' });
    });

    it('stays serializable next to an instance', () => {
      expect(wire(toPlain({ at, user: ann() }))).toEqual({
        at: '2024-05-06T07:08:09.010Z',
        user: { id: 1, name: 'Ann' },
      });
    });

    it('keeps the same point in time', () => {
      const plain = toPlain({ at }) as { at: unknown };
      expect(new Date(plain.at as string | Date).getTime()).toBe(at.getTime());
    });
  });

  describe('very deep plain values', () => {
    it('still come out equal (past the scan depth)', () => {
      let deep: Record<string, unknown> = { leaf: 'end' };
      for (let i = 0; i < 40; i++) deep = { next: deep };
      expect(wire(toPlain(deep))).toEqual(wire(deep));
    });

    it('still drop @Exclude() fields below the scan depth', () => {
      let deep: Record<string, unknown> = { user: ann() };
      let expected: Record<string, unknown> = { user: { id: 1, name: 'Ann' } };
      for (let i = 0; i < 40; i++) {
        deep = { next: deep };
        expected = { next: expected };
      }
      expect(wire(toPlain(deep))).toEqual(expected);
    });
  });

  describe('values JSON would alter are refused, not altered', () => {
    class Score {
      constructor(readonly value: number) {}
    }

    it.each([
      ['Infinity', Infinity, 'the value is Infinity'],
      ['NaN', NaN, 'the value is NaN'],
      ['a BigInt', 5n, 'the value is the BigInt 5n'],
      ['a function', () => 1, 'the value is a function'],
      ['a symbol', Symbol('s'), 'the value is a symbol'],
      ['nested -Infinity', { a: { b: [0, -Infinity] } }, '-Infinity at a.b[1]'],
      ['a nested BigInt', [{ n: 1n }], 'the BigInt 1n at [0].n'],
      ['NaN in a class instance', new Score(NaN), 'NaN at value'],
      ['NaN next to a class instance', { user: ann(), ratio: NaN }, 'NaN at ratio'],
    ])('%s', (_label, value, problem) => {
      expect(() => toPlain(value)).toThrow(UnserializableValueError);
      expect(() => toPlain(value)).toThrow(`Cannot be sent as JSON: ${problem}.`);
    });

    it('keeps what JSON leaves out as JavaScript expects: nested undefined, functions and symbols', () => {
      const value = { kept: 1, none: undefined, fn: () => 1, sym: Symbol('s') };
      expect(toPlain(value)).toBe(value);
      expect(wire(toPlain(value))).toEqual({ kept: 1 });
    });

    it('takes finite extremes', () => {
      const value = { max: Number.MAX_VALUE, min: -Number.MAX_VALUE, tiny: Number.MIN_VALUE };
      expect(toPlain(value)).toBe(value);
    });
  });
});
