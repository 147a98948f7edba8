import 'reflect-metadata';
import { app, closeAfterEach, open, pings, pong } from '../support/edge-app.js';
import { sleep } from '../support/wait.js';
import type { TestClient } from '../support/ws-client.js';

// The exact edges of the rate limit: each test fails if a bound moves by one, a comparison flips or
// the arithmetic of the bucket changes (the one-line bugs a mutation run plants).

closeAfterEach();

const refused = (id: number) => ({ type: 'error', code: 'RATE_LIMITED', message: 'Too many requests.', id });
const range = (from: number, to: number) => Array.from({ length: to - from + 1 }, (_, index) => from + index);

/** Frames until the server closes the connection, and the close code. */
async function untilClosed(client: TestClient): Promise<{ frames: unknown[]; code: number }> {
  const code = await client.closed();
  return { frames: client.frames.splice(0), code };
}

describe('rate limit: exact edges of the token bucket', () => {
  // perSecond 0.01: one token per 100 s, so nothing refills while a test runs.
  it('answers exactly closeAfter refusals in a row with RATE_LIMITED, then closes with 1008', async () => {
    const { url } = await app({ rateLimit: { burst: 3, perSecond: 0.01, closeAfter: 4 } });
    const client = await open(url);
    pings(client, range(1, 20));
    expect(await untilClosed(client)).toEqual({
      frames: [pong(1), pong(2), pong(3), ...range(4, 7).map(refused)],
      code: 1008,
    });
  });

  it('closeAfter defaults to burst', async () => {
    const { url } = await app({ rateLimit: { burst: 2, perSecond: 0.01 } });
    const client = await open(url);
    pings(client, range(1, 10));
    expect(await untilClosed(client)).toEqual({ frames: [pong(1), pong(2), refused(3), refused(4)], code: 1008 });
  });

  it('a burst of 1 lets one message through', async () => {
    const { url } = await app({ rateLimit: { burst: 1, perSecond: 0.01, closeAfter: 100 } });
    const client = await open(url);
    pings(client, [1, 2]);
    expect(await client.next(2)).toEqual([pong(1), refused(2)]);
  });

  it('an idle connection saves up no more than burst tokens', async () => {
    const { url } = await app({ rateLimit: { burst: 2, perSecond: 5, closeAfter: 100 } });
    const client = await open(url);
    await sleep(1500); // 7.5 tokens' worth of refill: the bucket still holds 2
    pings(client, range(1, 6));
    expect(await client.next(6)).toEqual([pong(1), pong(2), ...range(3, 6).map(refused)]);
  });

  it('refills at perSecond: one token per 1/perSecond seconds, none in between', async () => {
    // One token per 2 s.
    const { url } = await app({ rateLimit: { burst: 1, perSecond: 0.5, closeAfter: 100 } });
    const client = await open(url);
    pings(client, [1, 2]);
    expect(await client.next(2)).toEqual([pong(1), refused(2)]);
    pings(client, [3]); // a round trip later: far less than a token
    expect(await client.next()).toEqual([refused(3)]);
    await sleep(2600);
    pings(client, [4, 5]);
    expect(await client.next(2)).toEqual([pong(4), refused(5)]);
  });

  it('never closes a client that overshoots now and then: an answered message resets the count', async () => {
    // closeAfter 1: two refusals in a row close the connection; one at a time never does.
    const { url } = await app({ rateLimit: { burst: 1, perSecond: 5, closeAfter: 1 } });
    const client = await open(url);
    for (let round = 0; round < 4; round++) {
      await sleep(400); // two tokens' worth: the bucket is full (1) again
      pings(client, [2 * round + 1, 2 * round + 2]);
      expect(await client.next(2)).toEqual([pong(2 * round + 1), refused(2 * round + 2)]);
    }
    await sleep(400);
    pings(client, [99]);
    expect(await client.next()).toEqual([pong(99)]);
    expect(client.closeCode).toBeUndefined();
  });
});

describe('rate limit options', () => {
  it.each([
    ['perSecond 0', { perSecond: 0, burst: 1 }],
    ['perSecond NaN', { perSecond: Number.NaN, burst: 1 }],
    ['burst below 1', { perSecond: 1, burst: 0.5 }],
    ['burst NaN', { perSecond: 1, burst: Number.NaN }],
  ])('refuses %s at startup, naming the option', async (_name, rateLimit) => {
    await expect(app({ rateLimit })).rejects.toThrow(/perSecond|burst/);
  });
});
