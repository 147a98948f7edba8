import { applyDecorators } from '@nestjs/common';
import { IsString, Length, Matches } from 'class-validator';

/** The longest room id: a room's name is part of a channel name, shown to people, and a Redis key. */
export const ROOM_ID_MAX_LENGTH = 64;

/**
 * A room id: 1 to 64 letters, digits, `_` or `-`. One path segment (no `/`, which would name another
 * channel), nothing a page or a log could take for markup, the same rule to join a room and to send to it.
 */
export const IsRoomId = (): PropertyDecorator =>
  applyDecorators(IsString(), Length(1, ROOM_ID_MAX_LENGTH), Matches(/^[A-Za-z0-9_-]+$/));
