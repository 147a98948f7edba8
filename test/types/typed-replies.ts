/*
 * Compile-time checks of `reply` / `payload` (run by `npm run typecheck`, never executed): each
 * `@ts-expect-error` marks a handler the compiler must refuse; were it accepted, the unused directive
 * would itself be an error.
 */
import { Observable, of } from 'rxjs';
import { Data, SocketAction, SocketChannel } from '../../lib/index.js';

class UserDto {
  id!: number;
  name!: string;
}

class OrderDto {
  total!: number;
}

export class TypedHandlers {
  @SocketAction('user', { reply: UserDto })
  user(@Data('id') id: number): UserDto {
    return { id, name: 'Ada' };
  }

  @SocketAction('user_async', { reply: UserDto })
  async userAsync(): Promise<UserDto> {
    return { id: 1, name: 'Ada' };
  }

  @SocketAction('user_observable', { reply: UserDto })
  userObservable(): Observable<UserDto> {
    return of({ id: 1, name: 'Ada' });
  }

  @SocketAction('users', { reply: [UserDto] })
  users(): UserDto[] {
    return [];
  }

  @SocketAction('count', { reply: Number })
  count(): number {
    return 1;
  }

  @SocketAction('names', { reply: [String], description: 'every name' })
  names(): Promise<string[]> {
    return Promise.resolve(['Ada']);
  }

  @SocketAction('flag', { reply: Boolean })
  flag(): boolean {
    return true;
  }

  @SocketChannel('orders', { payload: OrderDto, initialData: true })
  orders(@Data('total') total: number): OrderDto {
    return { total };
  }

  // Without `reply`, anything goes (as before `reply` existed).
  @SocketAction('untyped')
  untyped(): string {
    return 'anything';
  }

  // @ts-expect-error the method returns an OrderDto where a UserDto is declared
  @SocketAction('wrong_dto', { reply: UserDto })
  wrongDto(): OrderDto {
    return { total: 1 };
  }

  // @ts-expect-error a Promise of the wrong type
  @SocketAction('wrong_async', { reply: UserDto })
  async wrongAsync(): Promise<{ id: number }> {
    return { id: 1 };
  }

  // @ts-expect-error one UserDto where an array is declared
  @SocketAction('wrong_array', { reply: [UserDto] })
  wrongArray(): UserDto {
    return { id: 1, name: 'Ada' };
  }

  // @ts-expect-error a string where a number is declared
  @SocketAction('wrong_primitive', { reply: Number })
  wrongPrimitive(): string {
    return '1';
  }

  // @ts-expect-error nothing returned where a reply is declared
  @SocketAction('wrong_void', { reply: Boolean })
  wrongVoid(): void {}

  // @ts-expect-error an Observable of the wrong type
  @SocketChannel('wrong_payload', { payload: OrderDto })
  wrongPayload(): Observable<string> {
    return of('x');
  }
}
