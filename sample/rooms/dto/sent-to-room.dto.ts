import { Equals, IsInt, Min } from 'class-validator';

/** `send_to_room`'s reply: the message is stored in the room's history, at `offset`. */
export class SentToRoomDto {
  @Equals(true)
  sent!: true;

  /** The message's offset in the room's history (1 for a room's first message, then one more each time). */
  @IsInt()
  @Min(1)
  offset!: number;
}
