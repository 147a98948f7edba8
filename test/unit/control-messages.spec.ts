import { decodeControl, encodeControl, isCloseCode, type ControlMessage } from '../../lib/gateway/control-messages.js';

const base = { req: 'a'.repeat(32), from: '0123456789abcdef', at: 1_700_000_000_000, user: 'alice' };
const raw = (value: unknown) => Buffer.from(`c1 ${JSON.stringify(value)}`);

describe('control messages between instances (c1)', () => {
  it('round-trips every command and answer', () => {
    const messages: ControlMessage[] = [
      { op: 'close', ...base, code: 4000, reason: 'Banned' },
      { op: 'unsubscribe', ...base, channel: 'rooms/1' },
      { op: 'send', ...base, channel: 'news', frame: '{"type":"data","channel":"news","data":1}' },
      { op: 'list', ...base },
      { op: 'done', req: base.req, count: 3 },
      {
        op: 'listed',
        req: base.req,
        connections: [{ id: 'c', instance: 'i', connectedAt: 1, subscriptions: ['news'], expiresAt: 2 }],
      },
    ];
    for (const message of messages) expect(decodeControl(encodeControl(message))).toEqual(message);
  });

  it.each([
    ['no version', Buffer.from(JSON.stringify({ op: 'list', ...base }))],
    ['another version', Buffer.from(`c2 ${JSON.stringify({ op: 'list', ...base })}`)],
    ['not JSON', Buffer.from('c1 {')],
    ['an array', raw([])],
    ['an unknown op', raw({ op: 'drop', ...base })],
    ['a bad request id', raw({ op: 'list', ...base, req: 'x' })],
    ['a sender that is not an instance id', raw({ op: 'list', ...base, from: 'me' })],
    ['no time', raw({ op: 'list', ...base, at: 'now' })],
    ['a user that is not a string', raw({ op: 'list', ...base, user: 1 })],
    ['a user id of 5,000 characters', raw({ op: 'list', ...base, user: 'u'.repeat(5000) })],
    ['a close code ws cannot send', raw({ op: 'close', ...base, code: 1005, reason: '' })],
    ['a close reason over 123 bytes', raw({ op: 'close', ...base, code: 4000, reason: 'é'.repeat(62) })],
    ['a send without frame', raw({ op: 'send', ...base, channel: 'news' })],
    ['a negative count', raw({ op: 'done', req: base.req, count: -1 })],
    ['a listed that is not a list', raw({ op: 'listed', req: base.req, connections: {} })],
    ['a listed connection without id', raw({ op: 'listed', req: base.req, connections: [{ instance: 'i' }] })],
  ])('refuses %s', (_, bytes) => {
    expect(decodeControl(bytes)).toBeUndefined();
  });

  it('keeps only the known fields of a listed connection', () => {
    const decoded = decodeControl(
      raw({
        op: 'listed',
        req: base.req,
        connections: [{ id: 'c', instance: 'i', connectedAt: 1, subscriptions: [], __proto__x: 1, extra: 'x' }],
      }),
    );
    expect(decoded).toEqual({
      op: 'listed',
      req: base.req,
      connections: [{ id: 'c', instance: 'i', connectedAt: 1, subscriptions: [] }],
    });
  });

  it('close codes: the standard ones a server sends and 3000–4999', () => {
    for (const code of [1000, 1001, 1008, 1011, 1013, 3000, 4999]) expect(isCloseCode(code)).toBe(true);
    for (const code of [999, 1002, 1005, 1006, 1015, 2999, 5000, 4000.5, '4000', NaN]) {
      expect(isCloseCode(code)).toBe(false);
    }
  });
});
