/*
 * Compile-time checks of the GENERATED contract (sample/api-contract.ts, which
 * test/contract/sample-contract.e2e.spec.ts keeps equal to what the sample's handlers give), run by
 * `npm run typecheck` and `npm run typecheck:ts7`, never executed: each `@ts-expect-error` marks a
 * call the compiler must refuse; were it accepted, the unused directive would itself be an error.
 */
import type { Observable } from 'rxjs';
import type { PresenceEvent, PresenceMember, SocketApiClient, SocketApiContract } from '../../client/src/index.js';
import type { ApiContract, CreateUserDto, SentToRoomDto } from '../../sample/api-contract.js';
import { contractHash } from '../../sample/api-contract.js';
import { sampleClient } from '../../sample/typed-client.js';

type Equal<A, B> = (<T>() => T extends A ? 1 : 2) extends <T>() => T extends B ? 1 : 2 ? true : false;
const assertType = <T extends true>(): T | undefined => undefined;

// The generated type is what the client's type parameter takes.
assertType<ApiContract extends SocketApiContract ? true : false>();
assertType<typeof contractHash extends string ? true : false>();

export function generatedContractChecks(client: SocketApiClient<ApiContract> = sampleClient('ws://localhost/')): void {
  // Replies and payloads typed from the decorators' `reply` / `payload` (unknown where none is declared).
  assertType<Equal<ReturnType<typeof client.action<'add_numbers'>>, Promise<number>>>();
  assertType<Equal<ReturnType<typeof client.action<'send_message'>>, Promise<unknown>>>();
  assertType<Equal<ReturnType<typeof client.subscribe<'chat'>>, Observable<unknown>>>();
  // The DTO of `create_user`, nested DTOs included, from its class-validator rules.
  assertType<Equal<CreateUserDto['address'], ApiContract['actions']['create_user']['data']['user']['address']>>();

  void client.action('add_numbers', { a: 1, b: 2 });
  // `@Data('a') a: number` takes numeric strings too, as the server does.
  void client.action('add_numbers', { a: '1', b: 2 });
  void client.action('send_message', { message: 'hi' });
  void client.action('create_user', {
    user: { username: 'ada', email: 'ada@example.com', age: 36, address: { street: 's', city: 'c', zipcode: '1' } },
  });
  client.subscribe('chat', { message: 'hello' });

  // @ts-expect-error: no such action
  void client.action('add_number', { a: 1, b: 2 });
  // @ts-expect-error: wrong input type
  void client.action('add_numbers', { a: true, b: 2 });
  // @ts-expect-error: a property the DTO does not have
  void client.action('send_message', { text: 'hi' });
  // @ts-expect-error: a required property of the DTO missing
  void client.action('send_message', {});
  // @ts-expect-error: the data of an action that takes a DTO left out
  void client.action('send_message');
  // @ts-expect-error: a nested DTO's property of the wrong type
  void client.action('create_user', { user: { username: 'ada', email: 'a@b.c', age: '36' } });
  // @ts-expect-error: no such channel
  client.subscribe('chats');
  // @ts-expect-error: wrong subscribe data
  client.subscribe('chat', { message: 1 });
  // The room pattern: any concrete room, its presence, and send_to_room's typed reply.
  client.subscribe('rooms/42');
  const roomId: string = 'lobby';
  client.subscribe(`rooms/${roomId}`);
  assertType<Equal<ReturnType<typeof client.action<'send_to_room'>>, Promise<SentToRoomDto>>>();
  assertType<Equal<SentToRoomDto['offset'], number>>();
  void client.action('send_to_room', { roomId: 'lobby', message: 'hi' });
  void client.presence('rooms/1').then((members) => assertType<Equal<typeof members, PresenceMember<unknown>[]>>());
  client
    .presenceEvents(`rooms/${roomId}`)
    .subscribe((event) => assertType<Equal<typeof event, PresenceEvent<unknown>>>());

  // @ts-expect-error: `chat` has no presence
  void client.presence('chat');
  // @ts-expect-error: nor join/leave events
  client.presenceEvents('chat');
  // @ts-expect-error: a room is one segment of `rooms/`, not `room/`
  client.subscribe('room/42');
  // @ts-expect-error: the pattern names no room
  client.subscribe('rooms');
  // @ts-expect-error: a room id is a string
  void client.action('send_to_room', { roomId: 42, message: 'hi' });
  // @ts-expect-error: the message is required
  void client.action('send_to_room', { roomId: 'lobby' });
  void client.action('add_numbers', { a: 1, b: 2 }).then((sum) => {
    // @ts-expect-error: the reply is a number
    const text: string = sum;
    void text;
  });
}
