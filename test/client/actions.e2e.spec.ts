import 'reflect-metadata';
import { getEventListeners } from 'node:events';
import { firstValueFrom } from 'rxjs';
import { filter } from 'rxjs/operators';
import { ClientErrorCode, SocketApiClient, SocketApiError } from '../../client/src/index.js';
import { useCleanup } from '../support/cleanup.js';
import { startClientServer, type ClientTestServer } from './support/client-server.js';

/** The error a promise rejected with (fails if it resolved). */
async function rejection(promise: Promise<unknown>): Promise<SocketApiError> {
  try {
    await promise;
  } catch (error) {
    expect(error).toBeInstanceOf(SocketApiError);
    return error as SocketApiError;
  }
  throw new Error('expected a rejection');
}

function opened(client: SocketApiClient): Promise<unknown> {
  return firstValueFrom(client.state$.pipe(filter((state) => state.status === 'open')));
}

describe('client actions against a real server', () => {
  const cleanup = useCleanup();
  let server: ClientTestServer;
  let client: SocketApiClient;

  beforeEach(async () => {
    server = cleanup.track(await startClientServer());
    client = cleanup.track(new SocketApiClient(server.url));
  });

  it('1,000 concurrent actions, answered out of order (server concurrency 16), each gets its own reply', async () => {
    await opened(client);
    const arrival: unknown[] = [];
    const calls = Array.from({ length: 1000 }, (_, n) =>
      client.action('slow', { n, ms: (n * 7) % 5 }).then((reply) => {
        arrival.push(reply);
        return reply;
      }),
    );
    expect(client.actionsInFlight).toBe(1000);
    const replies = await Promise.all(calls);
    expect(replies).toEqual(Array.from({ length: 1000 }, (_, n) => n));
    // Out of order on the wire: matching by position would have failed.
    expect(arrival).not.toEqual(replies);
    expect(client.actionsInFlight).toBe(0);
  });

  it('a reply of any JSON value, falsy ones included; no data gives undefined', async () => {
    for (const value of [0, false, '', [], {}, { nested: [1, 'two'] }, 'text']) {
      expect(await client.action('echo', value)).toEqual(value);
    }
    expect(await client.action('kick')).toBeUndefined();
  });

  it("the server's errors reject with its code, message and field errors", async () => {
    const validation = await rejection(client.action('add', { a: -1, b: 'x' }));
    expect(validation.code).toBe('VALIDATION_ERROR');
    expect(validation.message).toBe("Invalid parameters for action 'add'");
    expect(validation.errors.map((entry) => entry.path).sort()).toEqual(['a', 'b']);
    expect(validation.maybeExecuted).toBe(false);

    const thrown = await rejection(client.action('refuse'));
    expect([thrown.code, thrown.message]).toEqual(['TEAPOT', 'Not today']);

    const missing = await rejection(client.action('nope'));
    expect([missing.code, missing.message]).toEqual(['ACTION_NOT_FOUND', "Action 'nope' not found."]);
    // The connection keeps working after errors.
    expect(await client.action('add', { a: 2, b: 3 })).toBe(5);
  });

  it('a timeout rejects with CLIENT_TIMEOUT (maybeExecuted: it was sent), and its late reply is ignored', async () => {
    await opened(client);
    const error = await rejection(client.action('slow', { n: 1, ms: 300 }, { timeoutMs: 50 }));
    expect(error.code).toBe(ClientErrorCode.TIMEOUT);
    expect(error.maybeExecuted).toBe(true);
    // The late reply arrives while the next call is in flight and must not answer it.
    expect(await client.action('slow', { n: 2, ms: 400 })).toBe(2);
  });

  it('an abort rejects with CLIENT_ABORTED; aborted before the call, nothing is sent', async () => {
    await opened(client);
    const controller = new AbortController();
    const pending = client.action('slow', { n: 1, ms: 300, key: 'aborted-late' }, { signal: controller.signal });
    setTimeout(() => controller.abort(), 30);
    const error = await rejection(pending);
    expect([error.code, error.maybeExecuted]).toEqual([ClientErrorCode.ABORTED, true]);

    const early = await rejection(
      client.action('slow', { n: 1, ms: 1, key: 'aborted-early' }, { signal: AbortSignal.abort() }),
    );
    expect([early.code, early.maybeExecuted]).toEqual([ClientErrorCode.ABORTED, false]);
    expect(await client.action('echo', 'after')).toBe('after');
    expect(server.api.actionsRun.get('aborted-early')).toBeUndefined();
    expect(server.api.actionsRun.get('aborted-late')).toBe(1);
  });

  it('a signal shared by actions that settle otherwise keeps none of their abort listeners', async () => {
    await opened(client);
    const controller = new AbortController();
    const { signal } = controller;
    await Promise.all(Array.from({ length: 50 }, (_, n) => client.action('echo', n, { signal })));
    await rejection(client.action('slow', { n: 1, ms: 500 }, { signal, timeoutMs: 20 }));
    expect(getEventListeners(signal, 'abort')).toHaveLength(0);
  });

  it('actions called before the connection opens wait in the queue and are sent in order', async () => {
    const fresh = cleanup.track(new SocketApiClient(server.url));
    expect(fresh.state.status).toBe('connecting');
    const replies = await Promise.all([fresh.action('echo', 1), fresh.action('echo', 2), fresh.action('echo', 3)]);
    expect(replies).toEqual([1, 2, 3]);
  });

  it('close(): queued and in-flight actions reject with CLIENT_CLOSED, later calls too; state$ ends with closed', async () => {
    await opened(client);
    const states: string[] = [];
    client.state$.subscribe({ next: (state) => states.push(state.status), complete: () => states.push('complete') });
    const inFlight = rejection(client.action('slow', { n: 1, ms: 200 }));
    await client.close();
    const error = await inFlight;
    expect([error.code, error.maybeExecuted]).toEqual([ClientErrorCode.CLOSED, true]);
    expect((await rejection(client.action('echo', 1))).code).toBe(ClientErrorCode.CLOSED);
    const late = await firstValueFrom(client.subscribe('news')).catch((error: unknown) => error);
    expect((late as SocketApiError).code).toBe(ClientErrorCode.CLOSED);
    expect(states).toEqual(['open', 'closed', 'complete']);
  });
});
