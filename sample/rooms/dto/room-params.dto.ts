import { IsRoomId } from './is-room-id.js';

/** The parameters of `rooms/:roomId`, validated on every subscribe: a bad room id is a VALIDATION_ERROR. */
export class RoomParamsDto {
  @IsRoomId()
  roomId!: string;
}
