import { Injectable } from '@nestjs/common';
import {
  ChannelParam,
  Data,
  HistoryChannelFamily,
  SocketAction,
  SocketChannel,
  InjectChannel,
} from '../../lib/index.js';
import type { ChatMessage } from '../chat/chat.service.js';
import { RoomParamsDto } from './dto/room-params.dto.js';
import { SendToRoomDto } from './dto/send-to-room.dto.js';
import { SentToRoomDto } from './dto/sent-to-room.dto.js';
import { roomMemberInfo } from './room-member.js';

/**
 * Chat rooms: `rooms/:roomId` keeps its last 1,000 messages for 5 minutes, so that a client that
 * reconnects gets what it missed (or is told it cannot), and shows who is in the room.
 */
@Injectable()
export class RoomsService {
  constructor(
    @InjectChannel('rooms/:roomId') private readonly rooms: HistoryChannelFamily<ChatMessage, { roomId: string }>,
  ) {}

  /**
   * `{"type":"subscribe","channel":"rooms/lobby"}` → `subscribed` with the room's offset and epoch,
   * then the room's messages as `{"message":…}` with their offsets. No initial data: a room's content
   * is its messages (recovered after a reconnect) and its members (asked with `presence`); a hello would
   * be one more payload to tell apart from them, sent again after every failed recovery.
   * The method only admits the subscribe: its parameter DTO refuses a bad room id.
   */
  @SocketChannel('rooms/:roomId', {
    summary: 'A chat room: its messages (with history and recovery) and its members (presence, join/leave)',
    tags: ['rooms'],
    history: { size: 1000, ttl: 300_000 },
    presence: { joinLeave: true, info: roomMemberInfo },
    // No `examples`: an example's subscribe frame would name the pattern (`rooms/:roomId`), which is no room.
    description:
      'Publications are `{"message": …}`, sent with send_to_room. Subscribe to a concrete room: `rooms/lobby`.',
  })
  room(@ChannelParam() _room: RoomParamsDto): void {}

  /** Publishes `{ message }` to the room, whoever is in it (or nobody), and answers once it is stored. */
  @SocketAction('send_to_room', {
    summary: 'Publishes a message to a room (rooms/:roomId), stored in its history',
    tags: ['rooms'],
    reply: SentToRoomDto,
    examples: [{ data: { roomId: 'lobby', message: 'Hello, room' }, reply: { sent: true, offset: 1 } }],
  })
  async send(@Data() body: SendToRoomDto): Promise<SentToRoomDto> {
    // Resolves once the message is stored, with its offset (the room's subscribers get it with it).
    const { offset } = await this.rooms.to({ roomId: body.roomId }).publish({ message: body.message });
    return { sent: true, offset };
  }
}
