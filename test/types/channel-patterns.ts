/*
 * Compile-time checks of the client's typing of pattern channels, history and presence (issue 12),
 * run by `npm run typecheck` (and `typecheck:ts7`), never executed: each `@ts-expect-error` marks a
 * call the compiler must refuse; were it accepted, the unused directive would itself be an error.
 */
import type { Observable } from 'rxjs';
import type {
  ChannelKey,
  ChannelName,
  PresenceChannelName,
  PresenceEvent,
  PresenceMember,
  SocketApiClient,
  SocketApiContract,
} from '../../client/src/index.js';

type Equal<A, B> = (<T>() => T extends A ? 1 : 2) extends <T>() => T extends B ? 1 : 2 ? true : false;
const assertType = <T extends true>(): T | undefined => undefined;

/** A contract as `nestjs-socketapi-contract` writes it for pattern channels (with `params`, `history`, `presence`). */
interface RoomsContract {
  actions: { send_to_room: { data: { roomId: string; message: string }; reply: unknown } };
  channels: {
    chat: {
      data: { message: string };
      payload: { text: string };
      params: Record<string, never>;
      history: false;
      presence: false;
    };
    'rooms/:roomId': {
      data: undefined;
      payload: { message: string };
      params: { roomId: string };
      history: true;
      presence: { info: { name: string } };
    };
    'docs/:docId/cursors/:userId': {
      data: undefined;
      payload: { x: number; y: number };
      params: { docId: string; userId: string };
      history: false;
      presence: false;
    };
  };
}

assertType<RoomsContract extends SocketApiContract ? true : false>();
assertType<Equal<ChannelKey<RoomsContract, 'rooms/42'>, 'rooms/:roomId'>>();
assertType<Equal<ChannelKey<RoomsContract, 'chat'>, 'chat'>>();
assertType<Equal<ChannelKey<RoomsContract, 'docs/a/cursors/b'>, 'docs/:docId/cursors/:userId'>>();
assertType<Equal<PresenceChannelName<RoomsContract>, `rooms/${string}`>>();
assertType<'rooms/42' extends ChannelName<RoomsContract> ? true : false>();

export function patternChannelChecks(client: SocketApiClient<RoomsContract>, untyped: SocketApiClient): void {
  // A concrete name of a pattern is typed by the pattern's entry.
  assertType<Equal<ReturnType<typeof client.subscribe<'rooms/42'>>, Observable<{ message: string }>>>();
  assertType<Equal<ReturnType<typeof client.subscribe<'docs/d1/cursors/u7'>>, Observable<{ x: number; y: number }>>>();
  client.subscribe('rooms/42');
  client.subscribe(`rooms/${String(Math.random())}`);
  client.subscribe('chat', { message: 'hi' });
  // @ts-expect-error: no channel `room/:…` (a misspelt pattern)
  client.subscribe('room/42');
  // @ts-expect-error: `rooms` alone matches no declared name
  client.subscribe('rooms');
  // @ts-expect-error: one segment short of the pattern
  client.subscribe('docs/d1/cursors');
  // @ts-expect-error: wrong subscribe data of an exact channel
  client.subscribe('chat', { message: 1 });

  // Presence only on presence channels, with the channel's member info.
  assertType<Equal<ReturnType<typeof client.presence<'rooms/42'>>, Promise<PresenceMember<{ name: string }>[]>>>();
  assertType<
    Equal<ReturnType<typeof client.presenceEvents<'rooms/42'>>, Observable<PresenceEvent<{ name: string }>>>
  >();
  void client.presence('rooms/42').then((members) => members.map((member) => member.info?.name.toUpperCase()));
  // @ts-expect-error: `chat` has no presence
  void client.presence('chat');
  // @ts-expect-error: `docs/:docId/cursors/:userId` has no presence
  client.presenceEvents('docs/a/cursors/b');
  // @ts-expect-error: no such channel
  void client.presence('room/42');

  // The typed client is still an untyped one (helpers taking `SocketApiClient` accept it).
  const asUntyped: SocketApiClient = client;
  void asUntyped;
  // Untyped: any name, unknown info.
  void untyped.presence('anything').then((members) => members[0]?.info);
  untyped.recovery$.subscribe(({ channel, recovered }) => void [channel.length, recovered === true]);
}
