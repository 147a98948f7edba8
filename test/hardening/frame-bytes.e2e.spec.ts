import 'reflect-metadata';
import { app, closeAfterEach, open, pong } from '../support/edge-app.js';

closeAfterEach();

describe('text frames that are not UTF-8', () => {
  // Bytes that decode to U+FFFD where they stand: inside a JSON string they would still parse.
  it.each([
    ['a lone continuation byte', [0x80]],
    ['an invalid byte', [0xff]],
    ['an overlong encoding of "/"', [0xc0, 0xaf]],
    ['a UTF-16 surrogate encoded in UTF-8', [0xed, 0xa0, 0x80]],
    ['a truncated sequence', [0xe2, 0x82]],
  ])('refuses %s inside a string value as invalid JSON, executing nothing', async (_name, bytes) => {
    const { url } = await app({});
    const client = await open(url);
    const frame = Buffer.concat([Buffer.from('{"type":"ping","id":"'), Buffer.from(bytes), Buffer.from('"}')]);
    client.socket.send(frame, { binary: false });
    client.send({ type: 'ping', id: 2 });
    const invalidJson = { type: 'error', code: 'INVALID_MESSAGE', message: 'Invalid JSON.' };
    expect(await client.next(2)).toEqual([invalidJson, pong(2)]);
  });

  it('takes valid multi-byte UTF-8 as sent', async () => {
    const { url } = await app({});
    const client = await open(url);
    client.socket.send(Buffer.from('{"type":"ping","id":"é€😀"}', 'utf8'), { binary: false });
    expect(await client.next()).toEqual([{ type: 'pong', id: 'é€😀' }]);
  });
});
