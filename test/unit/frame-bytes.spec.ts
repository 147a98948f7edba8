import { parseClientMessage } from '../../lib/protocol/parse-client-message.js';
import { DEFAULTS } from '../../lib/options/defaults.js';

// Frames arrive as bytes (the gateway skips ws's UTF-8 check): bytes that are not UTF-8 are not
// JSON, even where decoding would hide them as U+FFFD inside a string.
const INVALID_JSON = { error: { code: 'INVALID_MESSAGE', message: 'Invalid JSON.' } };

function frame(...parts: Array<string | number[]>): Buffer {
  return Buffer.concat(parts.map((part) => (typeof part === 'string' ? Buffer.from(part, 'utf8') : Buffer.from(part))));
}

describe('parseClientMessage on bytes', () => {
  it('parses a UTF-8 Buffer as its text', () => {
    expect(parseClientMessage(frame('{"type":"ping","id":"é😀"}'), DEFAULTS.maxDepth)).toEqual({
      message: { type: 'ping', channel: '', data: {}, id: 'é😀' },
    });
  });

  it.each([
    ['an invalid byte', [0xff]],
    ['a lone continuation byte', [0x80]],
    ['an overlong encoding', [0xc0, 0xaf]],
    ['an encoded surrogate', [0xed, 0xa0, 0x80]],
  ])('refuses %s inside a string value', (_name, bytes) => {
    expect(parseClientMessage(frame('{"type":"ping","id":"', bytes, '"}'), DEFAULTS.maxDepth)).toEqual(INVALID_JSON);
  });
});
