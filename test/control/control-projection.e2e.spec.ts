import 'reflect-metadata';
import { Injectable } from '@nestjs/common';
import { IsInt, IsString } from 'class-validator';
import { SocketApiConnections, SocketApiModule, SocketChannel } from '../../lib/index.js';
import { useCleanup } from '../support/cleanup.js';
import { startApp } from '../support/test-app.js';
import { sleep } from '../support/wait.js';
import { queryUser, subscribe, userClient } from './control-app.js';

const SECRET = 'sendtouser-secret-marker';

class ProfileDto {
  @IsInt()
  id!: number;

  @IsString()
  name!: string;
}

/** What the app holds: more than a client may see. */
class ProfileEntity {
  id = 7;
  name: unknown = 'ada';
  passwordHash = `hash-${SECRET}`;
}

@Injectable()
class ProfileChannels {
  /** Without `initialData`, what the subscribe returns is not sent: typed as the payload, as declared. */
  @SocketChannel('profile', { payload: ProfileDto })
  profile(): ProfileDto {
    return { id: 0, name: 'not sent' };
  }
}

/**
 * `sendToUser` with `outputValidation`: the payload is projected to the channel's declared type, as the
 * channel's publications are, so a publication sent to one user never carries an undeclared field.
 */
describe('SocketApiConnections.sendToUser with outputValidation', () => {
  const cleanup = useCleanup();

  const start = async () =>
    cleanup.track(
      await startApp({
        imports: [SocketApiModule.forRoot({ heartbeat: false, auth: queryUser, outputValidation: 'error' })],
        providers: [ProfileChannels],
      }),
    );

  it('sends an entity as its declared payload type only: the undeclared secret never reaches the user', async () => {
    const app = await start();
    const ws = await userClient(cleanup, app, 'alice');
    await subscribe(ws, 'profile');
    await expect(app.app.get(SocketApiConnections).sendToUser('alice', 'profile', new ProfileEntity())).resolves.toBe(
      1,
    );
    expect(await ws.next(1)).toEqual([{ type: 'data', channel: 'profile', data: { id: 7, name: 'ada' } }]);
    expect(JSON.stringify(ws.frames)).not.toContain(SECRET);
  });

  it("'error': a payload that breaks the declared type is refused, as a publication is, and sent to no one", async () => {
    const app = await start();
    const ws = await userClient(cleanup, app, 'bob');
    await subscribe(ws, 'profile');
    const entity = new ProfileEntity();
    entity.name = 42;
    await expect(app.app.get(SocketApiConnections).sendToUser('bob', 'profile', entity)).rejects.toThrow(
      'does not fit its declared type ProfileDto: name (isString)',
    );
    await sleep(100);
    expect(ws.frames).toEqual([]);
    expect(ws.closeCode).toBeUndefined();
  });
});
