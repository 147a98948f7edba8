import { isUtf8 } from 'node:buffer';
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
      message: { type: 'ping', channel: '', data: {}, id: 'é😀', receivedAt: 0, run: 0 },
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

  it.each([
    ['an invalid byte at the very end', [0xff]],
    ['a truncated sequence at the end', [0xe2, 0x82]],
    ['a code point above U+10FFFF', [0xf4, 0x90, 0x80, 0x80]],
  ])('refuses %s of the frame', (_name, bytes) => {
    expect(parseClientMessage(frame('{"type":"ping","id":"x"}', bytes), DEFAULTS.maxDepth)).toEqual(INVALID_JSON);
  });

  it('accepts a U+FFFD the client sent itself', () => {
    expect(parseClientMessage(frame('{"type":"ping","id":"\ufffd"}'), DEFAULTS.maxDepth)).toEqual({
      message: { type: 'ping', channel: '', data: {}, id: '\ufffd', receivedAt: 0, run: 0 },
    });
  });

  it('refuses exactly the frames that are not UTF-8 (random bytes inside a string value)', () => {
    // Deterministic pseudo-random bytes, biased towards the lead and continuation bytes of UTF-8.
    let seed = 12345;
    const next = () => (seed = (seed * 1103515245 + 12345) % 2 ** 31) / 2 ** 31;
    const BYTES = [
      0x41, 0x7f, 0x80, 0xbf, 0xc0, 0xc2, 0xdf, 0xe0, 0xed, 0xef, 0xf0, 0xf4, 0xf5, 0xff, 0xa0, 0x9f, 0x8f, 0x90,
    ];
    let refusedCount = 0;
    for (let i = 0; i < 5000; i++) {
      const bytes = Array.from({ length: 1 + Math.floor(next() * 6) }, () => BYTES[Math.floor(next() * BYTES.length)]);
      const bytesFrame = frame('{"type":"ping","id":"', bytes, '"}');
      const expected = isUtf8(bytesFrame) ? parseClientMessage(bytesFrame.toString(), DEFAULTS.maxDepth) : INVALID_JSON;
      if (!isUtf8(bytesFrame)) refusedCount++;
      expect(parseClientMessage(bytesFrame, DEFAULTS.maxDepth)).toEqual(expected);
    }
    // Both kinds were tried.
    expect(refusedCount).toBeGreaterThan(1000);
    expect(refusedCount).toBeLessThan(4900);
  });
});
