import { Injectable, UseGuards } from '@nestjs/common';
import { IsInt, IsString, Min, MinLength } from 'class-validator';
import { Data, SocketAction, SocketChannel } from '../../lib/index.js';
import { AdminGuard } from '../../sample/auth/admin.guard.js';

/*
 * Handlers for the document's tests: every documentation option, every kind of reply type, names
 * that cannot be document keys as they are. Each runs, so that the server's frames can be checked
 * against what the document says of them.
 */

export class PointDto {
  @IsInt()
  x!: number;

  @IsInt()
  @Min(0)
  y!: number;
}

export class LabelDto {
  @IsString()
  label!: string;
}

/**
 * Validated differently by a handler with `validation: { groups: ['loose'] }`: without groups,
 * class-validator applies every rule (grouped ones too); with `loose`, only the `always` ones.
 */
export class NameDto {
  @IsString({ always: true })
  @MinLength(5, { groups: ['strict'] })
  name!: string;
}

@Injectable()
export class Documented {
  @SocketAction('rename', { reply: String, examples: [{ data: { name: 'abcdef' }, reply: 'abcdef' }] })
  rename(@Data() body: NameDto): string {
    return body.name;
  }

  @SocketAction('rename_loose', {
    reply: String,
    validation: { groups: ['loose'] },
    examples: [{ data: { name: 'abc' }, reply: 'abc' }],
  })
  renameLoose(@Data() body: NameDto): string {
    return body.name;
  }

  @SocketAction('move', {
    reply: PointDto,
    summary: 'Moves the point',
    description: 'Adds `dx` to `x`.',
    tags: ['geometry'],
    examples: [{ name: 'right', summary: 'one step right', data: { dx: 1 }, reply: { x: 1, y: 0 } }],
  })
  move(@Data('dx') dx: number): PointDto {
    return { x: dx, y: 0 };
  }

  @SocketAction('points', { reply: [PointDto], tags: ['geometry', 'lists'] })
  points(@Data() point: PointDto): PointDto[] {
    return [point];
  }

  @SocketAction('count', { reply: Number, deprecated: true })
  count(): number {
    return 1;
  }

  @SocketAction('words', { reply: [[String]] })
  words(): string[][] {
    return [['a']];
  }

  @SocketAction('untyped')
  untyped(@Data('anything') anything: string): unknown {
    return anything;
  }

  @UseGuards(AdminGuard)
  @SocketAction('room/1 #x', { validation: { groups: ['strict'] } })
  oddName(): boolean {
    return true;
  }

  @SocketAction('room_1__x')
  collidingKey(): boolean {
    return true;
  }

  @SocketAction('{id}')
  braces(): boolean {
    return true;
  }

  @SocketChannel('labels', {
    payload: LabelDto,
    initialData: true,
    description: 'Labels as they change.',
    tags: ['geometry'],
    deprecated: true,
    examples: [{ name: 'first', data: { label: 'a' }, payload: { label: 'a' } }],
  })
  labels(@Data('label') label: string): LabelDto {
    return { label };
  }

  // A channel and an action may share a name: they are told apart by the frame's type.
  @SocketChannel('count')
  countChannel(): number {
    return 1;
  }
}

/** Added to an app of `Documented` to see the document change. */
@Injectable()
export class Extra {
  @SocketAction('extra')
  extra(): string {
    return 'extra';
  }

  @SocketChannel('extra_feed')
  feed(): string {
    return 'feed';
  }
}
