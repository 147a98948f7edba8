/*
 * Compile-time checks of `reply` / `payload` (run by `npm run typecheck`, never executed): each
 * `@ts-expect-error` marks a handler the compiler must refuse; were it accepted, the unused directive
 * would itself be an error.
 */
import { type CanActivate, UseGuards, UseInterceptors, type NestInterceptor } from '@nestjs/common';
import { Observable, of } from 'rxjs';
import {
  Connection,
  Data,
  SocketAction,
  type SocketActionOptions,
  SocketChannel,
  type SocketConnection,
} from '../../lib/index.js';

declare class AdminGuard implements CanActivate {
  canActivate(): boolean;
}

declare class TimingInterceptor implements NestInterceptor {
  intercept(): Observable<unknown>;
}

class UserDto {
  id!: number;
  name!: string;
}

class OrderDto {
  total!: number;
}

const SHARED_OPTIONS: SocketActionOptions = { validation: { whitelist: true }, tags: ['shared'] };

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

  @SocketAction('frozen', { reply: [Number] })
  frozen(): readonly number[] {
    return Object.freeze([1, 2]);
  }

  // Nest's enhancers stack with a typed decorator, in either order; parameters keep their own types.
  @UseGuards(AdminGuard)
  @SocketAction('guarded', { reply: UserDto, tags: ['admin'] })
  @UseInterceptors(TimingInterceptor)
  async guarded(@Data('id') id: number, @Connection() connection: SocketConnection): Promise<UserDto> {
    return { id, name: connection.id };
  }

  // Options typed before `reply` existed still do, in a variable or not.
  @SocketAction('shared_options', SHARED_OPTIONS)
  sharedOptions(): string {
    return 'shared';
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

  // @ts-expect-error an array of the wrong element type
  @SocketAction('wrong_items', { reply: [UserDto] })
  wrongItems(): OrderDto[] {
    return [{ total: 1 }];
  }

  // @ts-expect-error a string where a number is declared
  @SocketAction('wrong_primitive', { reply: Number })
  wrongPrimitive(): string {
    return '1';
  }

  // @ts-expect-error nothing returned where a reply is declared
  @SocketAction('wrong_void', { reply: Boolean })
  wrongVoid(): void {}

  @SocketAction('example', { reply: UserDto, examples: [{ data: { id: 1 }, reply: { id: 1, name: 'Ada' } }] })
  example(@Data('id') id: number): UserDto {
    return { id, name: 'Ada' };
  }

  // @ts-expect-error an example whose reply does not fit the declared reply
  @SocketAction('wrong_example', { reply: UserDto, examples: [{ reply: { id: 1 } }] })
  wrongExample(): UserDto {
    return { id: 1, name: 'Ada' };
  }

  // @ts-expect-error an example whose publication does not fit the declared payload
  @SocketChannel('wrong_channel_example', { payload: [Number], examples: [{ payload: 'one' }] })
  wrongChannelExample(): number[] {
    return [1];
  }

  // @ts-expect-error an Observable of the wrong type
  @SocketChannel('wrong_payload', { payload: OrderDto })
  wrongPayload(): Observable<string> {
    return of('x');
  }
}
