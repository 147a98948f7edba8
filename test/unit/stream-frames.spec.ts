import {
  historyDataFrame,
  notRecoveredReply,
  presenceEventFrame,
  presenceReply,
  subscribedReply,
} from '../../lib/protocol/server-messages.js';

/*
 * The frames of issue 12 (history, recovery, presence), byte for byte: field order is part of the
 * wire (PROTOCOL.md), and the serializers concatenate strings rather than call JSON.stringify.
 */

describe('historyDataFrame', () => {
  it('carries the stored data text as it is, then the offset', () => {
    expect(historyDataFrame('rooms/42', '{"message":"hi"}', 7)).toBe(
      '{"type":"data","channel":"rooms/42","data":{"message":"hi"},"offset":7}',
    );
  });

  it('leaves `data` out for a publication without any (stored as "")', () => {
    expect(historyDataFrame('rooms/42', '', 1)).toBe('{"type":"data","channel":"rooms/42","offset":1}');
  });

  it('escapes the channel name as JSON does', () => {
    const channel = 'a"b\\c\n';
    expect(JSON.parse(historyDataFrame(channel, '0', 3))).toEqual({ type: 'data', channel, data: 0, offset: 3 });
  });
});

describe('subscribedReply', () => {
  const top = { offset: 7, epoch: 'k3x.9f2a' };

  it('is unchanged without a stream (a channel without history)', () => {
    expect(subscribedReply('chat', 1)).toBe('{"type":"subscribed","channel":"chat","id":1}');
    expect(subscribedReply('chat', undefined)).toBe('{"type":"subscribed","channel":"chat"}');
  });

  it('carries offset and epoch on a fresh subscribe to a history channel', () => {
    expect(subscribedReply('rooms/42', 1, { top })).toBe(
      '{"type":"subscribed","channel":"rooms/42","offset":7,"epoch":"k3x.9f2a","id":1}',
    );
  });

  it('says whether a recover succeeded, before the id', () => {
    expect(subscribedReply('rooms/42', 'r1', { top, recovered: true })).toBe(
      '{"type":"subscribed","channel":"rooms/42","offset":7,"epoch":"k3x.9f2a","recovered":true,"id":"r1"}',
    );
    expect(subscribedReply('rooms/42', 1, { top, recovered: false })).toBe(
      '{"type":"subscribed","channel":"rooms/42","offset":7,"epoch":"k3x.9f2a","recovered":false,"id":1}',
    );
  });

  it('without an id: the server-initiated resync and epoch adoption', () => {
    expect(subscribedReply('rooms/42', undefined, { top: { offset: 0, epoch: 'E2' }, recovered: false })).toBe(
      '{"type":"subscribed","channel":"rooms/42","offset":0,"epoch":"E2","recovered":false}',
    );
    expect(subscribedReply('rooms/42', undefined, { top: { offset: 0, epoch: 'E' }, recovered: true })).toBe(
      '{"type":"subscribed","channel":"rooms/42","offset":0,"epoch":"E","recovered":true}',
    );
  });

  it('escapes an epoch as JSON does (epochs come from the store, not from clients)', () => {
    const epoch = '~a"b~';
    expect(JSON.parse(subscribedReply('c', 1, { top: { offset: 0, epoch } }))).toEqual({
      type: 'subscribed',
      channel: 'c',
      offset: 0,
      epoch,
      id: 1,
    });
  });
});

describe('notRecoveredReply', () => {
  it('is `subscribed` with recovered:false and no position', () => {
    expect(notRecoveredReply('chat', 4)).toBe('{"type":"subscribed","channel":"chat","recovered":false,"id":4}');
    expect(notRecoveredReply('chat', undefined)).toBe('{"type":"subscribed","channel":"chat","recovered":false}');
  });
});

describe('presenceReply', () => {
  it('lists each member with its clientId, then its info when it has one', () => {
    const members = [{ clientId: 'c1', info: { name: 'Ann' } }, { clientId: 'c2' }, { clientId: 'c3', info: null }];
    expect(presenceReply('rooms/42', members, 2)).toBe(
      '{"type":"presence","channel":"rooms/42","data":[{"clientId":"c1","info":{"name":"Ann"}},{"clientId":"c2"},{"clientId":"c3","info":null}],"id":2}',
    );
  });

  it('answers an empty list, and without an id when the query had none', () => {
    expect(presenceReply('rooms/42', [], undefined)).toBe('{"type":"presence","channel":"rooms/42","data":[]}');
  });

  it('sends clientId and info only, whatever else the member object holds', () => {
    const member = { clientId: 'c1', info: 1, instance: 'i-1' };
    expect(presenceReply('r', [member], 1)).toBe(
      '{"type":"presence","channel":"r","data":[{"clientId":"c1","info":1}],"id":1}',
    );
  });
});

describe('presenceEventFrame', () => {
  it('is a join with the member, and a leave with the member as given', () => {
    expect(presenceEventFrame('join', 'rooms/42', { clientId: 'c1', info: { name: 'Ann' } })).toBe(
      '{"type":"join","channel":"rooms/42","data":{"clientId":"c1","info":{"name":"Ann"}}}',
    );
    expect(presenceEventFrame('leave', 'rooms/42', { clientId: 'c1' })).toBe(
      '{"type":"leave","channel":"rooms/42","data":{"clientId":"c1"}}',
    );
  });

  it('escapes a clientId as JSON does', () => {
    const clientId = 'c"1';
    expect(JSON.parse(presenceEventFrame('join', 'r', { clientId }))).toEqual({
      type: 'join',
      channel: 'r',
      data: { clientId },
    });
  });
});
