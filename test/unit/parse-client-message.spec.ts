import { parseClientMessage, withContext, type ParseResult } from '../../lib/protocol/parse-client-message.js';
import type { ClientMessage, ErrorPayload } from '../../lib/protocol/messages.js';
import { DEFAULTS } from '../../lib/options/defaults.js';

/** The parsed message; fails the test when the text was refused. */
function accepted(text: string): ClientMessage {
  const result: ParseResult = parseClientMessage(text, DEFAULTS.maxDepth);
  if (!('message' in result)) throw new Error(`expected ${text} to be accepted, got ${JSON.stringify(result.error)}`);
  expect(result).not.toHaveProperty('error');
  return result.message;
}

/** The error payload; fails the test when the text was accepted. */
function refused(text: string): ErrorPayload {
  const result: ParseResult = parseClientMessage(text, DEFAULTS.maxDepth);
  if (!('error' in result)) throw new Error(`expected ${text} to be refused, got ${JSON.stringify(result.message)}`);
  expect(result).not.toHaveProperty('message');
  return result.error;
}

const json = (value: unknown): string => JSON.stringify(value);

const INVALID_JSON = { code: 'INVALID_MESSAGE', message: 'Invalid JSON.' };
const NOT_OBJECT = { code: 'INVALID_MESSAGE', message: 'Message must be a JSON object.' };
const TYPE_REQUIRED = { code: 'INVALID_MESSAGE', message: 'Message type is required.' };
const BAD_ID = { code: 'INVALID_MESSAGE', message: 'Message id must be a string or a number.' };
const CHANNEL_REQUIRED = { code: 'INVALID_MESSAGE', message: 'Channel is required.' };
const unknownType = (type: string) => ({ code: 'UNKNOWN_TYPE', message: `Unknown message type: ${type}.` });

describe('parseClientMessage', () => {
  describe('text that is not JSON', () => {
    it.each([
      ['an empty string', ''],
      ['whitespace only', '   '],
      ['plain words', 'hello'],
      ['a truncated object', '{"type":"ping"'],
      ['single-quoted keys', "{'type':'ping'}"],
      ['a trailing comma', '{"type":"ping",}'],
      ['undefined', 'undefined'],
      ['NaN', 'NaN'],
      ['two objects in one frame', '{"type":"ping"}{"type":"ping"}'],
    ])('refuses %s with "Invalid JSON." and no context', (_label, text) => {
      expect(refused(text)).toEqual(INVALID_JSON);
    });

    it('does not echo an id or channel it could not parse', () => {
      const error = refused('{"type":"action","channel":"echo","id":7,');
      expect(error).toEqual(INVALID_JSON);
      expect(error).not.toHaveProperty('id');
      expect(error).not.toHaveProperty('channel');
    });
  });

  describe('JSON that is not an object', () => {
    it.each([
      ['an array', '[]'],
      ['an array holding a message', '[{"type":"ping"}]'],
      ['a string', '"ping"'],
      ['an empty string', '""'],
      ['a number', '42'],
      ['zero', '0'],
      ['a negative float', '-1.5'],
      ['true', 'true'],
      ['false', 'false'],
      ['null', 'null'],
    ])('refuses %s with "Message must be a JSON object."', (_label, text) => {
      expect(refused(text)).toEqual(NOT_OBJECT);
    });
  });

  describe('type', () => {
    it.each([
      ['missing', {}],
      ['missing, with other fields', { data: {}, status: 'completed' }],
      ['empty', { type: '' }],
      ['a number', { type: 1 }],
      ['zero', { type: 0 }],
      ['null', { type: null }],
      ['true', { type: true }],
      ['false', { type: false }],
      ['an object', { type: { name: 'action' } }],
      ['an array', { type: ['action'] }],
    ])('refuses a type that is %s with "Message type is required."', (_label, message) => {
      expect(refused(json(message))).toEqual(TYPE_REQUIRED);
    });

    it('is case-sensitive: "Action" and "PING" are unknown types', () => {
      expect(refused(json({ type: 'Action', channel: 'echo' }))).toEqual({ ...unknownType('Action'), channel: 'echo' });
      expect(refused(json({ type: 'PING' }))).toEqual(unknownType('PING'));
    });

    it.each(['publish', 'data', 'pong', 'error', ' ping', 'ping ', '__proto__', 'constructor', 'toString'])(
      'refuses the unknown type %j with UNKNOWN_TYPE naming it',
      (type) => {
        expect(refused(json({ type, channel: 'c' }))).toEqual({ ...unknownType(type), channel: 'c' });
      },
    );

    it.each(['action', 'subscribe', 'unsubscribe', 'ping'] as const)('accepts the type %s', (type) => {
      expect(accepted(json({ type, channel: 'c' })).type).toBe(type);
    });
  });

  describe('id', () => {
    it.each([
      ['null', 'null'],
      ['true', 'true'],
      ['false', 'false'],
      ['an object', '{"n":1}'],
      ['an empty object', '{}'],
      ['an array', '[1]'],
      ['an empty array', '[]'],
      ['Infinity (1e400)', '1e400'],
      ['-Infinity (-1e400)', '-1e400'],
    ])('refuses an id that is %s and does not echo it', (_label, idText) => {
      const error = refused(`{"type":"action","channel":"echo","id":${idText}}`);
      expect(error).toEqual({ ...BAD_ID, channel: 'echo' });
      expect(error).not.toHaveProperty('id');
    });

    it.each([
      ['a string', 'req-1'],
      ['an empty string', ''],
      ['zero', 0],
      ['a negative number', -3],
      ['a float', 1.25],
      ['a large integer', 9007199254740991],
    ])('accepts an id that is %s and keeps it as sent', (_label, id) => {
      const message = accepted(json({ type: 'action', channel: 'echo', id }));
      expect(message.id).toBe(id);
      expect(typeof message.id).toBe(typeof id);
    });

    it('accepts a finite number written with an exponent', () => {
      expect(accepted('{"type":"ping","id":1e3}').id).toBe(1000);
    });

    it('leaves id undefined when the message had none', () => {
      const message = accepted(json({ type: 'action', channel: 'echo' }));
      expect(message.id).toBeUndefined();
    });
  });

  describe('channel', () => {
    describe.each(['action', 'subscribe', 'unsubscribe'] as const)('for %s', (type) => {
      it.each([
        ['missing', {}],
        ['empty', { channel: '' }],
        ['a number', { channel: 5 }],
        ['null', { channel: null }],
        ['true', { channel: true }],
        ['an object', { channel: { name: 'echo' } }],
        ['an array', { channel: ['echo'] }],
      ])('refuses a channel that is %s with "Channel is required."', (_label, fields) => {
        const error = refused(json({ type, ...fields }));
        expect(error).toEqual(CHANNEL_REQUIRED);
        expect(error).not.toHaveProperty('channel');
      });

      it('echoes a valid id on "Channel is required."', () => {
        expect(refused(json({ type, id: 'm1' }))).toEqual({ ...CHANNEL_REQUIRED, id: 'm1' });
        expect(refused(json({ type, id: 0 }))).toEqual({ ...CHANNEL_REQUIRED, id: 0 });
      });

      it('accepts a non-empty string channel, kept as sent (including spaces and case)', () => {
        expect(accepted(json({ type, channel: 'chat.Room 1' })).channel).toBe('chat.Room 1');
        expect(accepted(json({ type, channel: ' ' })).channel).toBe(' ');
      });
    });

    describe('for ping', () => {
      it('accepts a ping without a channel, with channel ""', () => {
        expect(accepted(json({ type: 'ping' }))).toEqual({
          type: 'ping',
          channel: '',
          data: {},
          id: undefined,
          receivedAt: 0,
          run: 0,
        });
      });

      it.each([
        ['empty', ''],
        ['a number', 5],
        ['null', null],
        ['an object', { a: 1 }],
      ])('accepts a ping whose channel is %s, with channel ""', (_label, channel) => {
        expect(accepted(json({ type: 'ping', channel })).channel).toBe('');
      });

      it('keeps a valid channel given on a ping', () => {
        expect(accepted(json({ type: 'ping', channel: 'x' })).channel).toBe('x');
      });

      it('keeps the id of a ping', () => {
        expect(accepted(json({ type: 'ping', id: 'p1' }))).toEqual({
          type: 'ping',
          channel: '',
          data: {},
          id: 'p1',
          receivedAt: 0,
          run: 0,
        });
      });
    });
  });

  describe('data', () => {
    it('is {} when missing', () => {
      expect(accepted(json({ type: 'action', channel: 'echo' })).data).toEqual({});
    });

    it('is {} when null', () => {
      expect(accepted(json({ type: 'action', channel: 'echo', data: null })).data).toEqual({});
    });

    it('gives each message its own {} (no shared default object)', () => {
      const a = accepted(json({ type: 'action', channel: 'echo' })).data as Record<string, unknown>;
      a.mutated = true;
      expect(accepted(json({ type: 'action', channel: 'echo' })).data).toEqual({});
    });

    it.each([
      ['zero', 0],
      ['false', false],
      ['an empty string', ''],
      ['a string', 'hello'],
      ['a number', 42.5],
      ['true', true],
      ['an empty array', []],
      ['an array', [1, 'two', null, { three: 3 }]],
      ['an empty object', {}],
      ['a nested object', { user: { name: 'Ann', tags: ['a'], address: { zipcode: null } }, n: 0 }],
    ])('passes %s through unchanged', (_label, data) => {
      const message = accepted(json({ type: 'subscribe', channel: 'room', data }));
      expect(message.data).toEqual(data);
      expect(typeof message.data).toBe(typeof data);
      expect(Array.isArray(message.data)).toBe(Array.isArray(data));
    });

    it('does not validate data on a ping', () => {
      expect(accepted(json({ type: 'ping', data: 'anything' })).data).toBe('anything');
    });
  });

  describe('nesting depth of data (maxDepth, default 32)', () => {
    const nested = (levels: number, leaf: unknown = 1): unknown => {
      let value = leaf;
      for (let i = 0; i < levels; i++) value = i % 2 === 0 ? [value] : { k: value };
      return value;
    };
    const tooDeep = (levels: number) => ({
      code: 'INVALID_MESSAGE',
      message: `Message data is nested too deeply (more than ${levels} levels).`,
      channel: 'echo',
      id: 7,
    });
    const frame = (data: unknown) => json({ type: 'action', channel: 'echo', data, id: 7 });

    it('takes 32 levels and refuses 33, with the id and channel', () => {
      expect(accepted(frame(nested(32))).data).toEqual(nested(32));
      expect(refused(frame(nested(33)))).toEqual(tooDeep(32));
    });

    it('counts an empty object or array as a level, and a scalar as none', () => {
      expect(accepted(frame(nested(31, {})))).toBeDefined();
      expect(refused(frame(nested(32, [])))).toEqual(tooDeep(32));
      expect(accepted(frame(nested(32, 'leaf')))).toBeDefined();
    });

    it('finds a deep branch after shallow ones', () => {
      expect(refused(frame({ a: 1, list: [1, 2, { ok: true }, nested(32)] }))).toEqual(tooDeep(32));
    });

    it('follows the limit it is given', () => {
      expect(parseClientMessage(frame({ a: { b: 1 } }), 2)).toHaveProperty('message');
      expect(parseClientMessage(frame({ a: { b: {} } }), 2)).toEqual({ error: tooDeep(2) });
    });

    it('refuses, without overflowing the stack, data deeper than a limit set past what the stack allows', () => {
      const text = `{"type":"action","channel":"echo","id":7,"data":${'['.repeat(60_000)}${']'.repeat(60_000)}}`;
      expect(parseClientMessage(text, 1_000_000)).toEqual({ error: tooDeep(1_000_000) });
    });
  });

  describe('a valid message', () => {
    it('comes out with type, channel, data and id exactly', () => {
      const result = parseClientMessage(
        json({ type: 'action', channel: 'sum', data: { a: 1, b: 2 }, id: 'x1' }),
        DEFAULTS.maxDepth,
      );
      // `receivedAt`, `run`: not part of the wire format; 0 until metrics time the action.
      expect(result).toEqual({
        message: { type: 'action', channel: 'sum', data: { a: 1, b: 2 }, id: 'x1', receivedAt: 0, run: 0 },
      });
    });

    it('ignores unknown extra fields', () => {
      const message = accepted(json({ type: 'unsubscribe', channel: 'room', id: 3, extra: true, status: 'x' }));
      expect(message).toEqual({ type: 'unsubscribe', channel: 'room', data: {}, id: 3, receivedAt: 0, run: 0 });
      expect(message).not.toHaveProperty('extra');
      expect(message).not.toHaveProperty('status');
    });

    it('accepts surrounding whitespace and keys in any order', () => {
      expect(accepted(' \n{"id":1,"data":{"q":1},"channel":"c","type":"subscribe"}\t')).toEqual({
        type: 'subscribe',
        channel: 'c',
        data: { q: 1 },
        id: 1,
        receivedAt: 0,
        run: 0,
      });
    });
  });

  describe('echo of a valid id and channel on errors', () => {
    it('echoes both on "Message type is required."', () => {
      expect(refused(json({ channel: 'echo', id: 'r1' }))).toEqual({ ...TYPE_REQUIRED, channel: 'echo', id: 'r1' });
    });

    it('echoes both on an unknown type', () => {
      expect(refused(json({ type: 'nope', channel: 'echo', id: 9 }))).toEqual({
        ...unknownType('nope'),
        channel: 'echo',
        id: 9,
      });
    });

    it('echoes a falsy but valid id (0 and "")', () => {
      expect(refused(json({ type: 'nope', id: 0 }))).toEqual({ ...unknownType('nope'), id: 0 });
      expect(refused(json({ type: 'nope', id: '' }))).toEqual({ ...unknownType('nope'), id: '' });
    });

    it('echoes the channel but not an invalid id', () => {
      const error = refused(json({ type: 'action', channel: 'echo', id: { bad: true } }));
      expect(error).toEqual({ ...BAD_ID, channel: 'echo' });
      expect(error).not.toHaveProperty('id');
    });

    it('does not echo an empty or non-string channel', () => {
      const empty = refused(json({ type: 'nope', channel: '', id: 'a' }));
      expect(empty).toEqual({ ...unknownType('nope'), id: 'a' });
      expect(empty).not.toHaveProperty('channel');
      const numeric = refused(json({ channel: 12, id: 'b' }));
      expect(numeric).toEqual({ ...TYPE_REQUIRED, id: 'b' });
      expect(numeric).not.toHaveProperty('channel');
    });

    it('leaves channel and id keys out entirely when there is nothing to echo', () => {
      expect(Object.keys(refused(json({ type: 'nope' }))).sort()).toEqual(['code', 'message']);
    });
  });

  describe('check order: type, then id, then unknown type, then channel', () => {
    it('type before id', () => {
      expect(refused(json({ id: null, channel: 'echo' }))).toEqual({ ...TYPE_REQUIRED, channel: 'echo' });
      expect(refused('{"type":"","id":1e400}')).toEqual(TYPE_REQUIRED);
    });

    it('type before channel', () => {
      expect(refused(json({ type: 7 }))).toEqual(TYPE_REQUIRED);
    });

    it('id before unknown type', () => {
      expect(refused(json({ type: 'nope', channel: 'echo', id: true }))).toEqual({ ...BAD_ID, channel: 'echo' });
    });

    it('id before channel', () => {
      expect(refused(json({ type: 'action', id: [] }))).toEqual(BAD_ID);
    });

    it('unknown type before channel', () => {
      expect(refused(json({ type: 'nope' }))).toEqual(unknownType('nope'));
      expect(refused(json({ type: 'nope', channel: '' }))).toEqual(unknownType('nope'));
    });

    it('object check before everything else', () => {
      expect(refused(json([{ id: null }]))).toEqual(NOT_OBJECT);
    });
  });
});

describe('withContext', () => {
  it('adds channel and id when given, including falsy ids', () => {
    expect(withContext({ code: 'C', message: 'm' }, 'ch', 0)).toEqual({
      code: 'C',
      message: 'm',
      channel: 'ch',
      id: 0,
    });
    expect(withContext({ code: 'C', message: 'm' }, undefined, '')).toEqual({ code: 'C', message: 'm', id: '' });
  });

  it('adds no keys when neither is given', () => {
    expect(Object.keys(withContext({ code: 'C', message: 'm' }))).toEqual(['code', 'message']);
  });

  it('returns the same payload object it was given', () => {
    const error: ErrorPayload = { code: 'C', message: 'm' };
    expect(withContext(error, 'ch', 1)).toBe(error);
    expect(error).toEqual({ code: 'C', message: 'm', channel: 'ch', id: 1 });
  });
});

describe('parseClientMessage: presence and recover (issue 12)', () => {
  const BAD_RECOVER = {
    code: 'INVALID_MESSAGE',
    message: 'recover must be {"offset": an integer ≥ 0, "epoch": a string}',
  };

  it('accepts a presence query, which needs a channel', () => {
    expect(accepted(json({ type: 'presence', channel: 'rooms/42', id: 2 }))).toEqual({
      type: 'presence',
      channel: 'rooms/42',
      data: {},
      id: 2,
      receivedAt: 0,
      run: 0,
    });
    expect(refused(json({ type: 'presence', id: 2 }))).toEqual({ ...CHANNEL_REQUIRED, id: 2 });
  });

  it('keeps the offset and epoch of a subscribe with recover, and nothing else of it', () => {
    const recover = { offset: 5, epoch: 'k3x.9f2a', extra: true };
    const message = accepted(json({ type: 'subscribe', channel: 'rooms/42', recover, id: 1 }));
    expect(message.recover).toEqual({ offset: 5, epoch: 'k3x.9f2a' });
  });

  it('accepts offset 0, the largest safe integer and an epoch of 64 characters', () => {
    for (const recover of [
      { offset: 0, epoch: 'e' },
      { offset: Number.MAX_SAFE_INTEGER, epoch: 'x'.repeat(64) },
    ]) {
      expect(accepted(json({ type: 'subscribe', channel: 'c', recover })).recover).toEqual(recover);
    }
  });

  it.each([
    ['null', null],
    ['a number', 5],
    ['a string', '5'],
    ['an array', [5, 'e']],
    ['without offset', { epoch: 'e' }],
    ['without epoch', { offset: 1 }],
    ['a negative offset', { offset: -1, epoch: 'e' }],
    ['a fractional offset', { offset: 1.5, epoch: 'e' }],
    ['an offset past the safe integers', { offset: 2 ** 53, epoch: 'e' }],
    ['an offset as a string', { offset: '1', epoch: 'e' }],
    ['an empty epoch', { offset: 1, epoch: '' }],
    ['an epoch of 65 characters', { offset: 1, epoch: 'x'.repeat(65) }],
    ['a numeric epoch', { offset: 1, epoch: 7 }],
  ])('refuses a recover that is %s, echoing channel and id', (_label, recover) => {
    expect(refused(json({ type: 'subscribe', channel: 'rooms/42', recover, id: 3 }))).toEqual({
      ...BAD_RECOVER,
      channel: 'rooms/42',
      id: 3,
    });
  });

  it('has no recover field on a subscribe without one', () => {
    expect(accepted(json({ type: 'subscribe', channel: 'c' }))).not.toHaveProperty('recover');
  });

  it('ignores recover on other types, like any unknown field', () => {
    const message = accepted(json({ type: 'unsubscribe', channel: 'c', recover: 'junk' }));
    expect(message).not.toHaveProperty('recover');
  });
});
