import { decodePresenceMessage, isPresenceMessage, presenceHeader } from '../../lib/broker/presence-envelope.js';

const SENDER = '0123456789abcdef';
const message = (text: string) => Buffer.from(text);

describe('presence events on Redis (p1)', () => {
  it('decodes the join and the leave the scripts publish', () => {
    expect(decodePresenceMessage(message(`${presenceHeader(SENDER)}join {"clientId":"c1","info":{"n":1}}`))).toEqual({
      event: 'join',
      member: { clientId: 'c1', info: { n: 1 } },
    });
    // Lua's cjson escapes '/': still the same JSON string.
    expect(decodePresenceMessage(message(`p1 ${SENDER}\nleave {"clientId":"a\\/b"}`))).toEqual({
      event: 'leave',
      member: { clientId: 'a/b' },
    });
    expect(decodePresenceMessage(message(`p1 ${SENDER}\njoin {"clientId":"c","info":null,"n":"x"}`))).toEqual({
      event: 'join',
      member: { clientId: 'c', info: null },
    });
  });

  it('tells p1 messages from publications', () => {
    expect(isPresenceMessage(message(`p1 ${SENDER}\njoin {}`))).toBe(true);
    expect(isPresenceMessage(message(`v1 ${SENDER}\n{"type":"data"}`))).toBe(false);
    expect(isPresenceMessage(message(`${SENDER}\n{"type":"data"}`))).toBe(false);
    expect(isPresenceMessage(message('p1'))).toBe(false);
  });

  it.each([
    ['no newline', `p1 ${SENDER} join {"clientId":"c"}`, 'no envelope header'],
    ['another version', `p2 ${SENDER}\njoin {"clientId":"c"}`, 'malformed presence header'],
    ['a bad sender', `p1 XYZ\njoin {"clientId":"c"}`, 'malformed presence header'],
    ['a header with a MAC', `p1 ${SENDER} ${'0'.repeat(64)}\njoin {"clientId":"c"}`, 'malformed presence header'],
    ['another event', `p1 ${SENDER}\nupdate {"clientId":"c"}`, 'not a join or a leave'],
    ['no member', `p1 ${SENDER}\njoin`, 'not a join or a leave'],
    ['a member that is not JSON', `p1 ${SENDER}\njoin {clientId}`, 'a presence member that is not JSON'],
    ['an array', `p1 ${SENDER}\njoin ["c"]`, 'a presence member without a clientId'],
    ['an empty clientId', `p1 ${SENDER}\nleave {"clientId":""}`, 'a presence member without a clientId'],
    ['a numeric clientId', `p1 ${SENDER}\nleave {"clientId":7}`, 'a presence member without a clientId'],
    [
      'a huge clientId',
      `p1 ${SENDER}\nleave {"clientId":"${'c'.repeat(129)}"}`,
      'a presence member without a clientId',
    ],
  ])('refuses %s', (_what, text, reason) => {
    expect(decodePresenceMessage(message(text))).toBe(reason);
  });
});
