/*
 * Compile-time checks of the testing kit's client against the generated sample contract (run by the
 * typecheck, never executed): it types calls as the client does.
 */
import type { ApiContract } from '../../sample/api-contract.js';
import type { TestClient } from '../../testing/index.js';

type Equal<A, B> = (<T>() => T extends A ? 1 : 2) extends <T>() => T extends B ? 1 : 2 ? true : false;
const assertType = <T extends true>(): T | undefined => undefined;

export function testClientChecks(client: TestClient<ApiContract>): void {
  // The reply of the action named, not the union of every action's.
  assertType<Equal<ReturnType<typeof client.action<'add_numbers'>>, Promise<number>>>();
  void client.action('send_message', { message: 'hi' });
  void client.expectError('VALIDATION_ERROR', 'send_message', { message: '' });
  // @ts-expect-error: the data of an action that takes a DTO left out
  void client.action('send_message');
  // @ts-expect-error: the same, for an action expected to fail
  void client.expectError('VALIDATION_ERROR', 'send_message');
}
