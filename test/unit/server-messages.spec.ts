import {
  actionReply,
  dataFrame,
  errorFrame,
  pongReply,
  subscribedReply,
  unsubscribedReply,
} from '../../lib/protocol/server-messages.js';

/** Decodes a serialized frame; also checks it is one JSON object. */
function decode(text: string): Record<string, unknown> {
  expect(typeof text).toBe('string');
  const value: unknown = JSON.parse(text);
  expect(value).not.toBeNull();
  expect(typeof value).toBe('object');
  expect(Array.isArray(value)).toBe(false);
  return value as Record<string, unknown>;
}

const KEPT_DATA: [string, unknown][] = [
  ['0', 0],
  ['false', false],
  ['an empty string', ''],
  ['an empty array', []],
  ['an empty object', {}],
  ['a number', 3.5],
  ['a string', 'ok'],
  ['true', true],
  ['an array', [1, null, 'x']],
  ['a nested object', { a: { b: [1, { c: null }] } }],
];

describe('actionReply', () => {
  it('gives the same bytes whatever action it answered before (it keeps the start of the last reply)', () => {
    const channels = ['add', 'add', 'sum', '', 'a"b', 'add', 'x\\y', '\u2028', 'add'];
    for (const channel of channels) {
      const expected = JSON.stringify({ type: 'action', channel, status: 'completed', data: 1, id: 2 });
      expect(actionReply(channel, 1, 2)).toBe(expected);
    }
  });

  it('is {type:"action", channel, status:"completed", data, id}', () => {
    expect(decode(actionReply('sum', 3, 'r1'))).toEqual({
      type: 'action',
      channel: 'sum',
      status: 'completed',
      data: 3,
      id: 'r1',
    });
  });

  it.each([
    ['undefined', undefined],
    ['null', null],
  ])('leaves data out when the result is %s', (_label, data) => {
    const frame = decode(actionReply('noop', data, 1));
    expect(frame).toEqual({ type: 'action', channel: 'noop', status: 'completed', id: 1 });
    expect(frame).not.toHaveProperty('data');
  });

  it.each(KEPT_DATA)('keeps data when it is %s', (_label, data) => {
    const frame = decode(actionReply('act', data, undefined));
    expect(frame).toHaveProperty('data');
    expect(frame.data).toEqual(data);
    expect(Array.isArray(frame.data)).toBe(Array.isArray(data));
  });

  it('leaves id out when undefined', () => {
    const frame = decode(actionReply('act', 'x', undefined));
    expect(frame).toEqual({ type: 'action', channel: 'act', status: 'completed', data: 'x' });
    expect(frame).not.toHaveProperty('id');
  });

  it.each([
    ['0', 0],
    ['""', ''],
    ['a string', 'abc'],
    ['a negative float', -1.5],
  ])('keeps id %s as sent', (_label, id) => {
    const frame = decode(actionReply('act', null, id));
    expect(frame).toHaveProperty('id');
    expect(frame.id).toBe(id);
  });

  it('sends only the documented keys', () => {
    expect(Object.keys(decode(actionReply('act', {}, 0))).sort()).toEqual(['channel', 'data', 'id', 'status', 'type']);
    expect(Object.keys(decode(actionReply('act', undefined, undefined))).sort()).toEqual(['channel', 'status', 'type']);
  });

  it('keeps a data object whose own keys collide with frame keys inside data', () => {
    const data = { type: 'x', channel: 'y', status: 'z', id: 1 };
    expect(decode(actionReply('act', data, 'r'))).toEqual({
      type: 'action',
      channel: 'act',
      status: 'completed',
      data,
      id: 'r',
    });
  });
});

describe('subscribedReply', () => {
  it('is {type:"subscribed", channel, id}', () => {
    expect(decode(subscribedReply('room', 'r2'))).toEqual({ type: 'subscribed', channel: 'room', id: 'r2' });
  });

  it('leaves id out when undefined', () => {
    const frame = decode(subscribedReply('room', undefined));
    expect(frame).toEqual({ type: 'subscribed', channel: 'room' });
    expect(frame).not.toHaveProperty('id');
  });

  it.each([0, ''])('keeps the id %j', (id) => {
    expect(decode(subscribedReply('room', id))).toEqual({ type: 'subscribed', channel: 'room', id });
  });
});

describe('unsubscribedReply', () => {
  it('is {type:"unsubscribed", channel, id}', () => {
    expect(decode(unsubscribedReply('room', 7))).toEqual({ type: 'unsubscribed', channel: 'room', id: 7 });
  });

  it('leaves id out when undefined', () => {
    const frame = decode(unsubscribedReply('room', undefined));
    expect(frame).toEqual({ type: 'unsubscribed', channel: 'room' });
    expect(frame).not.toHaveProperty('id');
  });

  it.each([0, ''])('keeps the id %j', (id) => {
    expect(decode(unsubscribedReply('room', id))).toEqual({ type: 'unsubscribed', channel: 'room', id });
  });
});

describe('pongReply', () => {
  it('is {type:"pong"} without an id', () => {
    const frame = decode(pongReply(undefined));
    expect(frame).toEqual({ type: 'pong' });
    expect(frame).not.toHaveProperty('id');
  });

  it.each([0, '', 'p1', 42])('echoes the id %j', (id) => {
    expect(decode(pongReply(id))).toEqual({ type: 'pong', id });
  });

  it('has no channel, data or status', () => {
    expect(Object.keys(decode(pongReply('x'))).sort()).toEqual(['id', 'type']);
  });
});

describe('dataFrame', () => {
  it('is {type:"data", channel, data}', () => {
    expect(decode(dataFrame('room', { text: 'hi' }))).toEqual({ type: 'data', channel: 'room', data: { text: 'hi' } });
  });

  it.each([
    ['undefined', undefined],
    ['null', null],
  ])('leaves data out when it is %s', (_label, data) => {
    const frame = decode(dataFrame('room', data));
    expect(frame).toEqual({ type: 'data', channel: 'room' });
    expect(frame).not.toHaveProperty('data');
  });

  it.each(KEPT_DATA)('keeps data when it is %s', (_label, data) => {
    const frame = decode(dataFrame('room', data));
    expect(frame).toHaveProperty('data');
    expect(frame.data).toEqual(data);
    expect(Array.isArray(frame.data)).toBe(Array.isArray(data));
  });

  it('never carries an id or status', () => {
    expect(Object.keys(decode(dataFrame('room', 1))).sort()).toEqual(['channel', 'data', 'type']);
  });
});

describe('errorFrame', () => {
  it('is {type:"error", code, message} for a bare payload', () => {
    const frame = decode(errorFrame({ code: 'INVALID_MESSAGE', message: 'Invalid JSON.' }));
    expect(frame).toEqual({ type: 'error', code: 'INVALID_MESSAGE', message: 'Invalid JSON.' });
    expect(Object.keys(frame).sort()).toEqual(['code', 'message', 'type']);
  });

  it('carries channel and id when the payload has them', () => {
    expect(
      decode(errorFrame({ code: 'ACTION_NOT_FOUND', message: "Action 'x' not found.", channel: 'x', id: 'r9' })),
    ).toEqual({
      type: 'error',
      code: 'ACTION_NOT_FOUND',
      message: "Action 'x' not found.",
      channel: 'x',
      id: 'r9',
    });
  });

  it.each([0, ''])('keeps a falsy id %j', (id) => {
    expect(decode(errorFrame({ code: 'C', message: 'm', id }))).toEqual({ type: 'error', code: 'C', message: 'm', id });
  });

  it('carries errors for a validation failure', () => {
    const errors = [
      { path: 'user.address.zipcode', messages: ['zipcode must be a string'] },
      { path: 'n', messages: ['n must be an integer number', 'n must not be less than 1'] },
    ];
    expect(
      decode(
        errorFrame({
          code: 'VALIDATION_ERROR',
          message: "Invalid parameters for action 'a'",
          channel: 'a',
          id: 1,
          errors,
        }),
      ),
    ).toEqual({
      type: 'error',
      code: 'VALIDATION_ERROR',
      message: "Invalid parameters for action 'a'",
      channel: 'a',
      id: 1,
      errors,
    });
  });

  it('leaves out optional keys that are explicitly undefined', () => {
    const frame = decode(errorFrame({ code: 'C', message: 'm', channel: undefined, id: undefined, errors: undefined }));
    expect(frame).toEqual({ type: 'error', code: 'C', message: 'm' });
    expect(Object.keys(frame).sort()).toEqual(['code', 'message', 'type']);
  });

  it('does not modify the payload it is given', () => {
    const payload = { code: 'C', message: 'm', id: 1 };
    errorFrame(payload);
    expect(payload).toEqual({ code: 'C', message: 'm', id: 1 });
    expect(payload).not.toHaveProperty('type');
  });
});

describe('strings and numbers are written as JSON.stringify writes them', () => {
  // The serializers write common strings and numbers without JSON.stringify: the text must not differ.
  const STRINGS = [
    '',
    'add',
    'with space',
    'quote"inside',
    'back\\slash',
    'line\nbreak',
    'tab\tand\u0001control\u001f',
    'del\u007f',
    'é and 中文',
    'emoji 😀',
    'lone \ud800 high',
    'lone \udfff low',
    'x'.repeat(64),
    'x'.repeat(65) + '"',
    '</script>',
  ];
  const NUMBERS = [0, -0, 1, -1, 3.5, 0.1, 1e21, 1e-7, Number.MAX_SAFE_INTEGER, Number.MIN_VALUE, -1.5e300];
  const reference = (type: string, channel: string, rest: string) =>
    `{"type":${JSON.stringify(type)},"channel":${JSON.stringify(channel)}${rest}}`;

  it.each(STRINGS)('channel, data and id %j', (text) => {
    const rest = `,"status":"completed","data":${JSON.stringify(text)},"id":${JSON.stringify(text)}`;
    expect(actionReply(text, text, text)).toBe(reference('action', text, rest));
    expect(subscribedReply(text, text)).toBe(reference('subscribed', text, `,"id":${JSON.stringify(text)}`));
    expect(unsubscribedReply(text, undefined)).toBe(reference('unsubscribed', text, ''));
    expect(dataFrame(text, text)).toBe(reference('data', text, `,"data":${JSON.stringify(text)}`));
  });

  it.each(NUMBERS)('data and id %p', (value) => {
    const rest = `,"status":"completed","data":${JSON.stringify(value)},"id":${JSON.stringify(value)}`;
    expect(actionReply('n', value, value)).toBe(reference('action', 'n', rest));
    expect(pongReply(value)).toBe(`{"type":"pong","id":${JSON.stringify(value)}}`);
  });
});
