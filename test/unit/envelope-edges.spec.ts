import { parseClientMessage } from '../../lib/protocol/parse-client-message.js';
import { DEFAULTS } from '../../lib/options/defaults.js';

describe('message id at its edges', () => {
  // JSON.parse reads numbers too large for a double as ±Infinity: not an id a reply could echo.
  it.each(['1e400', '-1e400'])('refuses the number %s, which JSON.parse reads as infinite', (id) => {
    expect(parseClientMessage(`{"type":"ping","id":${id}}`, DEFAULTS.maxDepth)).toEqual({
      error: { code: 'INVALID_MESSAGE', message: 'Message id must be a string or a number.' },
    });
  });

  it('accepts the largest finite double', () => {
    expect(parseClientMessage('{"type":"ping","id":1.7976931348623157e308}', DEFAULTS.maxDepth)).toEqual({
      message: { type: 'ping', channel: '', data: {}, id: Number.MAX_VALUE, receivedAt: 0, run: 0 },
    });
  });
});
