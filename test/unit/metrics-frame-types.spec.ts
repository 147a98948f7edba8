import {
  actionReply,
  authReply,
  contractReply,
  dataFrame,
  errorFrame,
  historyDataFrame,
  notRecoveredReply,
  pongReply,
  presenceEventFrame,
  presenceReply,
  subscribedReply,
  unsubscribedReply,
} from '../../lib/protocol/server-messages.js';
import { ERROR_CODES, FRAME_OUT_TYPES } from '../../lib/metrics/metric-labels.js';
import { SocketApiMetrics } from '../../lib/metrics/socket-api-metrics.js';

/** The type each serializer's frames are counted under: read from the frame's first bytes, as text and as a Buffer. */
describe('frames sent, by type', () => {
  const frames: Array<[string, string]> = [
    ['action', actionReply('a', { x: 1 }, 1)],
    ['subscribed', subscribedReply('c', 1)],
    ['subscribed', subscribedReply('c', undefined, { top: { offset: 1, epoch: 'e' }, recovered: true })],
    ['subscribed', notRecoveredReply('c', 2)],
    ['unsubscribed', unsubscribedReply('c', 1)],
    ['data', dataFrame('c', { x: 1 })],
    ['data', historyDataFrame('c', '{"x":1}', 3)],
    ['error', errorFrame({ code: 'FORBIDDEN', message: 'no', channel: 'c', id: 1 })],
    ['pong', pongReply(1)],
    ['auth', authReply(5, 1)],
    ['contract', contractReply('abc', 1)],
    ['presence', presenceReply('c', [{ clientId: 'x' }], 1)],
    ['join', presenceEventFrame('join', 'c', { clientId: 'x' })],
    ['leave', presenceEventFrame('leave', 'c', { clientId: 'x' })],
  ];

  it.each(frames)('%s: %s', (type, frame) => {
    for (const sent of [frame, Buffer.from(frame)]) {
      const metrics = new SocketApiMetrics();
      metrics.frameOut(sent);
      const index = FRAME_OUT_TYPES.indexOf(type as (typeof FRAME_OUT_TYPES)[number]);
      expect([...metrics.framesOut].map((count, at) => (count ? FRAME_OUT_TYPES[at] : '')).join('')).toBe(type);
      expect(metrics.bytesOut[index]).toBe(Buffer.byteLength(frame));
    }
  });

  it('errors by code: the library’s codes by name, any other as `other`', () => {
    const metrics = new SocketApiMetrics();
    metrics.frameOut(errorFrame({ code: 'FORBIDDEN', message: 'no' }));
    metrics.frameOut(Buffer.from(errorFrame({ code: 'RATE_LIMITED', message: 'slow down' })));
    metrics.frameOut(errorFrame({ code: 'APP_"OWN"_CODE', message: 'x' }));
    metrics.frameOut(errorFrame({ code: 'FORBIDDEN_NOT', message: 'x' }));
    const counted = Object.fromEntries(
      ERROR_CODES.map((code, at) => [code, metrics.errorsSent[at]]).filter(([, n]) => n),
    );
    expect(counted).toEqual({ FORBIDDEN: 1, RATE_LIMITED: 1, other: 2 });
  });

  it('close codes: the known ones by number, any other as `other`', () => {
    const metrics = new SocketApiMetrics();
    for (const code of [1000, 1006, 4000, 3001, 1013]) metrics.closed(code);
    expect([...metrics.closes]).toEqual([1, 0, 0, 1, 0, 0, 0, 1, 2]);
  });
});
