import { SendMessageDto } from '../../chat/dto/send-message.dto.js';
import { IsRoomId } from './is-room-id.js';

/** `send_to_room`'s data: a message as `send_message` takes it, and the room it goes to. */
export class SendToRoomDto extends SendMessageDto {
  @IsRoomId()
  roomId!: string;
}
