import 'reflect-metadata';
import { ClientErrorCode, SocketApiClient } from '../../client/src/index.js';
import { SocketApiConnections } from '../../lib/index.js';
import { Recorder, stateReached } from '../client/support/observe.js';
import { useCleanup } from '../support/cleanup.js';
import { waitFor } from '../support/wait.js';
import { startControlApp } from './control-app.js';

/** What the library's own client does with what `SocketApiConnections` sends. */
describe('SocketApiConnections as the library’s client sees it', () => {
  const cleanup = useCleanup();

  it('sendToUser reaches the subscription; unsubscribeUser ends it with UNSUBSCRIBED; closeUser (1008) stops the client', async () => {
    const app = await startControlApp(cleanup);
    const control = app.app.get(SocketApiConnections);
    const client = cleanup.track(
      new SocketApiClient(`${app.url}/?user=pat`, { reconnect: { initialDelayMs: 50, maxDelayMs: 200 } }),
    );
    await stateReached(client, 'open');
    const news = new Recorder(client.subscribe('news'));
    cleanup.add(() => news.close());
    await waitFor(async () => (await control.listUser('pat'))[0]?.subscriptions.length === 1);

    await expect(control.sendToUser('pat', 'news', { text: 'for pat' })).resolves.toBe(1);
    await news.until((values) => values.length === 1);
    expect(news.values).toEqual([{ text: 'for pat' }]);

    await expect(control.unsubscribeUser('pat', 'news')).resolves.toBe(1);
    await waitFor(() => news.error !== undefined);
    expect(news.error).toMatchObject({ code: ClientErrorCode.UNSUBSCRIBED });
    expect(client.state.status).toBe('open');

    const closed = stateReached(client, 'closed');
    await control.closeUser('pat');
    const state = await closed;
    expect(state.error?.message).toBe('The connection closed (code 1008, Closed by the server).');
  });
});
