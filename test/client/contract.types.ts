/**
 * Compile-time checks of the client's typing by a contract, run by the type check (`npm run
 * typecheck`), not by Jest: each `@ts-expect-error` fails the check if the line it marks compiles.
 */
import type { Observable } from 'rxjs';
import { SocketApiClient } from '../../client/src/index.js';
import type { ClientApiContract } from './support/client-api.js';

type Equal<A, B> = (<T>() => T extends A ? 1 : 2) extends <T>() => T extends B ? 1 : 2 ? true : false;
const assertType = <T extends true>(): T | undefined => undefined;

export function typedClientChecks(typed: SocketApiClient<ClientApiContract>, untyped: SocketApiClient): void {
  assertType<Equal<ReturnType<typeof typed.action<'add'>>, Promise<number>>>();
  assertType<Equal<ReturnType<typeof typed.subscribe<'news'>>, Observable<{ seq: number }>>>();
  assertType<Equal<ReturnType<typeof untyped.action<'anything'>>, Promise<unknown>>>();

  void typed.action('add', { a: 1, b: 2 });
  void typed.action('slow', { n: 1, ms: 2 }, { timeoutMs: 10 });
  // @ts-expect-error: no such action
  void typed.action('ad', { a: 1, b: 2 });
  // @ts-expect-error: wrong input
  void typed.action('add', { a: '1', b: 2 });
  // @ts-expect-error: missing input property
  void typed.action('add', { a: 1 });
  typed.subscribe('room', { name: 'lobby' });
  typed.subscribe('room', () => ({ name: 'lobby' }));
  // @ts-expect-error: no such channel
  typed.subscribe('rooms', { name: 'lobby' });
  // @ts-expect-error: wrong subscribe data
  typed.subscribe('room', { name: 1 });
  typed.subscribe('news').subscribe((payload) => {
    // @ts-expect-error: the payload has no such field
    void payload.sequence;
  });
  void typed.action('add', { a: 1, b: 2 }).then((sum) => {
    // @ts-expect-error: the reply is a number
    void sum.length;
  });
  // Untyped: any name, unknown values.
  void untyped.action('whatever', { any: 'thing' });
}
