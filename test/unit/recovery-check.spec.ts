import {
  canRecover,
  emptyStreamToken,
  isEmptyStreamToken,
  type StreamMeta,
} from '../../lib/channels/recovery-check.js';

/*
 * The one rule both history stores apply to a `recover`: a stream's epoch, or the empty-stream token of
 * a client that subscribed while the channel had no stream.
 */

const HOUR = 3_600_000;
const NOW = 1_800_000_000_000;
const meta = (changes: Partial<StreamMeta> = {}): StreamMeta => ({
  epoch: 'inc1.abcd',
  top: 10,
  createdAt: NOW - 60_000,
  incarnation: 'inc1',
  firstRetained: 6,
  ...changes,
});

describe('canRecover with a stream epoch', () => {
  it.each([
    ['the top itself', 10, true],
    ['inside the kept entries', 7, true],
    ['just before the first kept entry', 5, true],
    ['older than what is kept', 4, false],
    ['above the top', 11, false],
  ])('%s (offset %i): %s', (_what, offset, expected) => {
    expect(canRecover({ offset, epoch: 'inc1.abcd' }, meta(), NOW, 'inc1', HOUR)).toBe(expected);
  });

  it('another epoch, or no stream at all: never', () => {
    expect(canRecover({ offset: 10, epoch: 'inc1.other' }, meta(), NOW, 'inc1', HOUR)).toBe(false);
    expect(canRecover({ offset: 0, epoch: 'inc1.abcd' }, undefined, NOW, 'inc1', HOUR)).toBe(false);
  });

  it('with no entry kept (ttl passed), only the top itself', () => {
    const expired = meta({ firstRetained: 11 });
    expect(canRecover({ offset: 10, epoch: 'inc1.abcd' }, expired, NOW, 'inc1', HOUR)).toBe(true);
    expect(canRecover({ offset: 9, epoch: 'inc1.abcd' }, expired, NOW, 'inc1', HOUR)).toBe(false);
  });
});

describe('canRecover with an empty-stream token', () => {
  const seenAt = NOW - 10_000;
  const token = emptyStreamToken('inc1', seenAt);

  it('is recognized as a token, and an epoch is not', () => {
    expect(isEmptyStreamToken(token)).toBe(true);
    expect(isEmptyStreamToken('inc1.abcd')).toBe(false);
    expect(token).toMatch(/^[A-Za-z0-9._~-]{1,64}$/);
  });

  it('no stream yet: offset 0 recovers (nothing to replay) while the token is younger than metaTtl', () => {
    expect(canRecover({ offset: 0, epoch: token }, undefined, NOW, 'inc1', HOUR)).toBe(true);
    expect(canRecover({ offset: 0, epoch: token }, undefined, seenAt + HOUR, 'inc1', HOUR)).toBe(false);
    // A position with offsets seen in a stream that is gone again.
    expect(canRecover({ offset: 3, epoch: token }, undefined, NOW, 'inc1', HOUR)).toBe(false);
  });

  it('another incarnation of the store (a restart): never', () => {
    expect(canRecover({ offset: 0, epoch: token }, undefined, NOW, 'inc2', HOUR)).toBe(false);
    expect(canRecover({ offset: 0, epoch: token }, meta({ incarnation: 'inc2' }), NOW, 'inc2', HOUR)).toBe(false);
  });

  it('a stream born after the token, within metaTtl of it, recovers from its start', () => {
    const born = meta({ createdAt: seenAt + 5_000, firstRetained: 1 });
    expect(canRecover({ offset: 0, epoch: token }, born, NOW, 'inc1', HOUR)).toBe(true);
    expect(canRecover({ offset: 4, epoch: token }, born, NOW, 'inc1', HOUR)).toBe(true);
  });

  it('a stream born before the token, or a metaTtl or more after it, or trimmed: never', () => {
    expect(
      canRecover({ offset: 0, epoch: token }, meta({ createdAt: seenAt - 1, firstRetained: 1 }), NOW, 'inc1', HOUR),
    ).toBe(false);
    const late = meta({ createdAt: seenAt + HOUR, firstRetained: 1 });
    expect(canRecover({ offset: 0, epoch: token }, late, seenAt + HOUR + 1, 'inc1', HOUR)).toBe(false);
    const trimmed = meta({ createdAt: seenAt + 5_000, firstRetained: 6 });
    expect(canRecover({ offset: 0, epoch: token }, trimmed, NOW, 'inc1', HOUR)).toBe(false);
  });

  it('a malformed token is no token: an unknown epoch', () => {
    expect(canRecover({ offset: 0, epoch: '~inc1~' }, undefined, NOW, 'inc1', HOUR)).toBe(false);
    expect(canRecover({ offset: 0, epoch: '~inc1~NOTBASE36' }, undefined, NOW, 'inc1', HOUR)).toBe(false);
  });
});
