import fc from 'fast-check';
import { ChannelPattern } from '../../lib/channels/channel-pattern.js';

const match = (pattern: string, name: string) => ChannelPattern.compile(pattern).match(name.split('/'));

describe('ChannelPattern', () => {
  it.each([
    ['rooms/:roomId', 'rooms/42', { roomId: '42' }],
    ['rooms/:roomId', 'rooms/:roomId', { roomId: ':roomId' }],
    ['rooms/:roomId/messages', 'rooms/a-b.c/messages', { roomId: 'a-b.c' }],
    [':org/:repo', 'nestjs/nest', { org: 'nestjs', repo: 'nest' }],
    ['chat', 'chat', {}],
    ['a:b/c', 'a:b/c', {}],
  ])('%s matches %s with %j', (pattern, name, params) => {
    expect(match(pattern, name)).toEqual(params);
  });

  it.each([
    ['rooms/:roomId', 'rooms'],
    ['rooms/:roomId', 'rooms/'],
    ['rooms/:roomId', 'rooms/1/2'],
    ['rooms/:roomId', 'room/1'],
    ['rooms/:roomId/messages', 'rooms/1/message'],
    ['chat', 'chats'],
    ['rooms/:roomId', `rooms/${'x'.repeat(129)}`],
  ])('%s does not match %s', (pattern, name) => {
    expect(match(pattern, name)).toBeUndefined();
  });

  it('format() builds the concrete name and refuses a missing, empty or /-holding parameter, naming it', () => {
    const pattern = ChannelPattern.compile('rooms/:roomId/:tab');
    expect(pattern.format({ roomId: '42', tab: 'files' })).toBe('rooms/42/files');
    expect(pattern.format({ roomId: 7, tab: 'x' })).toBe('rooms/7/x');
    expect(() => pattern.format({ roomId: '42' })).toThrow(
      "parameter 'tab' must be a non-empty string without '/' of at most 128 characters, got undefined",
    );
    expect(pattern.format({ roomId: 'x'.repeat(128), tab: 'y' })).toBe(`rooms/${'x'.repeat(128)}/y`);
    expect(() => pattern.format({ roomId: 'x'.repeat(129), tab: 'y' })).toThrow("parameter 'roomId'");
    expect(() => pattern.format({ roomId: '', tab: 'x' })).toThrow("parameter 'roomId'");
    expect(() => pattern.format({ roomId: 'a/b', tab: 'x' })).toThrow('got "a/b"');
  });

  it('compile() refuses a malformed or repeated parameter', () => {
    expect(() => ChannelPattern.compile('rooms/:')).toThrow("':' is not a parameter");
    expect(() => ChannelPattern.compile('rooms/:9')).toThrow("':9' is not a parameter");
    expect(() => ChannelPattern.compile('rooms/:id-x')).toThrow("':id-x' is not a parameter");
    expect(() => ChannelPattern.compile(':id/:id')).toThrow("parameter ':id' appears twice");
  });

  it.each([
    ['rooms/:roomId', 'rooms/:other', 'rooms/x'],
    ['rooms/:roomId', ':kind/42', 'rooms/42'],
    [':a/b', 'a/:b', 'a/b'],
    ['rooms/lobby', 'rooms/:roomId', 'rooms/lobby'],
  ])('%s and %s overlap on %s', (a, b, witness) => {
    expect(ChannelPattern.compile(a).overlap(ChannelPattern.compile(b))).toBe(witness);
  });

  it.each([
    ['rooms/:roomId', 'users/:userId'],
    ['rooms/:roomId', 'rooms/:roomId/messages'],
    [':a/x', ':b/y'],
  ])('%s and %s do not overlap', (a, b) => {
    expect(ChannelPattern.compile(a).overlap(ChannelPattern.compile(b))).toBeUndefined();
  });

  describe('properties, over small alphabets', () => {
    // Segments of two letters and two parameters: small enough that collisions are common.
    const segment = fc.constantFrom('a', 'b', ':p', ':q');
    const patternText = fc
      .array(segment, { minLength: 1, maxLength: 3 })
      .map((segments) => segments.map((text, index) => (text.startsWith(':') ? `${text}${index}` : text)).join('/'));
    const concrete = fc
      .array(fc.constantFrom('a', 'b', 'c'), { minLength: 1, maxLength: 3 })
      .map((parts) => parts.join('/'));

    it('overlap(a, b) ⇔ some name (over the alphabet, and the witness) matches both', () => {
      fc.assert(
        fc.property(patternText, patternText, (a, b) => {
          const left = ChannelPattern.compile(a);
          const right = ChannelPattern.compile(b);
          const witness = left.overlap(right);
          const names = allNames(left.segmentCount);
          const both = names.some((name) => left.match(name.split('/')) && right.match(name.split('/')));
          expect(witness !== undefined).toBe(both);
          if (witness !== undefined) {
            expect(left.match(witness.split('/'))).toBeDefined();
            expect(right.match(witness.split('/'))).toBeDefined();
          }
          expect(right.overlap(left) !== undefined).toBe(both);
        }),
      );
    });

    it('format(match(name)) === name for every name a pattern matches', () => {
      fc.assert(
        fc.property(patternText, concrete, (text, name) => {
          const pattern = ChannelPattern.compile(text);
          const params = pattern.match(name.split('/'));
          if (params) expect(pattern.format(params)).toBe(name);
        }),
      );
    });
  });
});

/** Every concrete name of `count` segments over the letters the patterns use, plus one they do not. */
function allNames(count: number): string[] {
  let names = [''];
  for (let index = 0; index < count; index++) {
    names = names.flatMap((prefix) =>
      ['a', 'b', 'x'].map((letter) => (prefix === '' ? letter : `${prefix}/${letter}`)),
    );
  }
  return names;
}
