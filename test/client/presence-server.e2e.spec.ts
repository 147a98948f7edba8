import { Injectable } from '@nestjs/common';
import { SocketApiClient, SocketApiError } from '../../client/src/index.js';
import { SocketChannel, type SocketConnection } from '../../lib/index.js';
import { useCleanup } from '../support/cleanup.js';
import { startClientServer, type ClientTestServer } from './support/client-server.js';
import { Recorder, stateReached } from './support/observe.js';

@Injectable()
class Lobby {
  @SocketChannel('lobby', {
    presence: { joinLeave: true, info: (connection: SocketConnection) => ({ name: connection.query.name ?? '?' }) },
  })
  lobby(): void {}

  @SocketChannel('quiet')
  quiet(): void {}
}

/** presence() and presenceEvents() against the real server's presence (issue 12 P4's memory store). */
describe("the client's presence against the real server", () => {
  const cleanup = useCleanup();
  let server: ClientTestServer;

  beforeEach(async () => {
    server = await startClientServer({ heartbeat: false }, 0, { providers: [Lobby] });
    cleanup.add(() => server.close());
  });

  const newClient = async (name: string) => {
    const client = cleanup.track(new SocketApiClient(`${server.url}/?name=${name}`, { heartbeat: false }));
    await stateReached(client, 'open');
    return client;
  };

  it('lists the members with their info, sends the others join and leave, refuses what it must', async () => {
    const ada = await newClient('ada');
    const events = new Recorder(ada.presenceEvents('lobby'));
    const adaFeed = new Recorder(ada.subscribe('lobby'));
    await expect(ada.presence('quiet')).rejects.toMatchObject({ code: 'PRESENCE_DISABLED' });
    const bob = await newClient('bob');
    await expect(bob.presence('lobby')).rejects.toBeInstanceOf(SocketApiError);
    const bobFeed = new Recorder(bob.subscribe('lobby'));
    await events.until((values) => values.length === 1);
    const members = await bob.presence('lobby');
    expect(
      members.map((member) => member.info).sort((a, b) => JSON.stringify(a).localeCompare(JSON.stringify(b))),
    ).toEqual([{ name: 'ada' }, { name: 'bob' }]);
    expect(events.values[0]).toMatchObject({ type: 'join', channel: 'lobby', member: { info: { name: 'bob' } } });
    bobFeed.close();
    await events.until((values) => values.length === 2);
    expect(events.values[1]).toMatchObject({ type: 'leave', channel: 'lobby' });
    expect(events.values[1]?.member.clientId).toBe(events.values[0]?.member.clientId);
    adaFeed.close();
  });

  it('after a reconnect, a presence query made as the state turns open finds the client subscribed again', async () => {
    await server.close();
    server = await startClientServer({ heartbeat: false, concurrency: 1 }, 0, { providers: [Lobby] });
    const client = cleanup.track(
      new SocketApiClient(`${server.url}/?name=ada`, { heartbeat: false, reconnect: { initialDelayMs: 10 } }),
    );
    const feed = new Recorder(client.subscribe('lobby'));
    await stateReached(client, 'open');
    await expect(client.presence('lobby')).resolves.toHaveLength(1);
    const answers: Array<Promise<unknown>> = [];
    let opens = 0;
    const watching = client.state$.subscribe(({ status }) => {
      // The second open is the reconnect's: asked at once, as an app would.
      if (status === 'open' && ++opens === 2) answers.push(client.presence('lobby'));
    });
    await client.action('kick');
    await new Promise<void>((resolve) => {
      const check = setInterval(() => answers.length > 0 && (clearInterval(check), resolve()), 10);
    });
    watching.unsubscribe();
    await expect(answers[0]).resolves.toMatchObject([{ info: { name: 'ada' } }]);
    feed.close();
  });
});
