import 'reflect-metadata';
import { Injectable } from '@nestjs/common';
import { Data, SocketAction, SocketApiModule, type SocketApiModuleOptions } from '../../lib/index.js';
import { useCleanup } from '../support/cleanup.js';
import { fragmentedTextFrames, RawClient } from '../support/raw-ws-client.js';
import { startApp, type TestApp } from '../support/test-app.js';
import { TestClient } from '../support/ws-client.js';

/** Frames waiting for their turn are bounded in bytes; refusals are cheap and closing needs refusals in a row. */

@Injectable()
class Pending {
  @SocketAction('echo')
  echo(@Data('text') text: string) {
    return text.length;
  }

  @SocketAction('wait')
  async wait(@Data('ms') ms: number) {
    await new Promise((resolve) => setTimeout(resolve, ms));
    return ms;
  }
}

const cleanup = useCleanup();
let t: TestApp;

/** An app with `options` and a client of it, both closed after the test. */
async function open(options: SocketApiModuleOptions): Promise<TestClient> {
  t = cleanup.track(
    await startApp({ imports: [SocketApiModule.forRoot({ heartbeat: false, ...options })], providers: [Pending] }),
  );
  const client = await TestClient.open(t.url);
  cleanup.add(() => client.socket.terminate());
  return client;
}

const envelope = (id: number) => JSON.stringify({ type: 'action', channel: 'echo', data: { text: '' }, id });

/** An `echo` frame of exactly `bytes` bytes. */
function echoFrame(bytes: number, id: number): string {
  return envelope(id).replace('"text":""', `"text":"${'y'.repeat(bytes - envelope(id).length)}"`);
}

/** The reply to `echoFrame(bytes, id)`: the length of the text it carried. */
const echoed = (bytes: number, id: number) =>
  expect.objectContaining({ type: 'action', status: 'completed', data: bytes - envelope(id).length, id });
const refused = (id?: number) =>
  id === undefined
    ? { type: 'error', code: 'RATE_LIMITED', message: 'Too many requests.' }
    : { type: 'error', code: 'RATE_LIMITED', message: 'Too many requests.', channel: 'echo', id };

describe('maxPendingBytes', () => {
  it('refuses, in its turn, a frame that does not fit; a smaller one behind it still waits', async () => {
    const ws = await open({ maxPendingBytes: 1000 });
    ws.send({ type: 'action', channel: 'wait', data: { ms: 300 }, id: 1 });
    ws.send(echoFrame(600, 2)); // waits: 600 of 1000
    ws.send(echoFrame(600, 3)); // 1200 > 1000: refused
    ws.send(echoFrame(200, 4)); // 600 + the waiting refusal (about 130) + 200: waits
    const frames = await ws.next(4);
    expect(frames[0]).toEqual(expect.objectContaining({ channel: 'wait', id: 1 }));
    expect(frames[1]).toEqual(echoed(600, 2));
    expect(frames[2]).toEqual(refused(3));
    expect(frames[3]).toEqual(echoed(200, 4));
  });

  it('lets one frame wait whatever its size, and answers a large refused frame without parsing it (no id)', async () => {
    const ws = await open({ maxPendingBytes: 1000, maxPayload: 4000 });
    ws.send({ type: 'action', channel: 'wait', data: { ms: 300 }, id: 1 });
    ws.send(echoFrame(3000, 2)); // alone in the queue: waits
    ws.send(echoFrame(3000, 3)); // refused; larger than 1 KiB, so not parsed for its id
    ws.send(echoFrame(900, 4)); // refused; small enough to echo its id and channel
    const frames = await ws.next(4);
    expect(frames.slice(1)).toEqual([echoed(3000, 2), refused(), refused(4)]);
  });

  it('closes with 1008 a client that keeps on sending past the bound', async () => {
    const ws = await open({ maxPendingBytes: 1000, maxPayload: 4000 });
    ws.send({ type: 'action', channel: 'wait', data: { ms: 1000 }, id: 1 });
    for (let id = 2; id < 100; id++) ws.send(echoFrame(3000, id));
    expect(await ws.closed()).toBe(1008);
  });

  it('defaults to 256 KiB: five frames of 50 KB wait behind a slow one, the sixth is refused', async () => {
    const ws = await open({});
    ws.send({ type: 'action', channel: 'wait', data: { ms: 300 }, id: 1 });
    for (let id = 2; id <= 7; id++) ws.send(echoFrame(50_000, id));
    const frames = await ws.next(7);
    expect(frames.slice(1, 6)).toEqual([2, 3, 4, 5, 6].map((id) => echoed(50_000, id)));
    expect(frames[6]).toEqual(refused());
  });
});

describe('rate limit', () => {
  it('never closes a client that overshoots now and then, refusals not in a row', async () => {
    const ws = await open({ rateLimit: { burst: 2, perSecond: 20, closeAfter: 1 } });
    for (let round = 0; round < 8; round++) {
      for (let i = 0; i < 3; i++) ws.send(echoFrame(100, round * 3 + i));
      const frames = await ws.next(3);
      expect(frames[2]).toEqual(refused(round * 3 + 2));
      await new Promise((resolve) => setTimeout(resolve, 150)); // the bucket is full again
    }
    ws.send(echoFrame(100, 99));
    expect(await ws.next()).toEqual([echoed(100, 99)]);
    expect(ws.closeCode).toBeUndefined();
  });

  it('closes with 1008 once more refusals than closeAfter come in a row', async () => {
    const ws = await open({ rateLimit: { burst: 2, perSecond: 1, closeAfter: 1 } });
    for (let id = 0; id < 4; id++) ws.send(echoFrame(100, id));
    expect(await ws.closed()).toBe(1008);
    expect(ws.frames).toEqual([echoed(100, 0), echoed(100, 1), refused(2)]);
  });
});

describe('a frame in pieces', () => {
  // ws keeps ~100 bytes of bookkeeping per fragment: their number is bounded, not only their bytes.
  it('takes a message in 64 fragments, closes with 1008 one in 2,000', async () => {
    const ws = await open({});
    const raw = await RawClient.open(t.url);
    cleanup.add(() => raw.destroy());
    await raw.sendFrame(fragmentedTextFrames(Buffer.from(echoFrame(4000, 1)), 64));
    await raw.waitFor(() => raw.frames.length === 1, { what: 'the reply' });
    expect(raw.frames).toEqual([echoed(4000, 1)]);
    await raw.sendFrame(fragmentedTextFrames(Buffer.from(echoFrame(4000, 2)), 2000));
    await raw.waitFor(() => raw.closeCode !== undefined, { what: 'the close frame' });
    expect(raw.closeCode).toBe(1008);
    expect(raw.frames).toHaveLength(1);
    ws.send(echoFrame(100, 3)); // the others are unaffected
    expect(await ws.next()).toEqual([echoed(100, 3)]);
  });
});
