import { Module } from '@nestjs/common';
import { SocketApiModule } from '../lib/index.js';
import { AdminGuard } from './auth/admin.guard.js';
import { ChatService } from './chat/chat.service.js';
import { PageController } from './page.controller.js';
import { RoomsService } from './rooms/rooms.service.js';
import { UsersService } from './users/users.service.js';

@Module({
  imports: [SocketApiModule.forRoot({ path: '/', docs: true, health: true })],
  controllers: [PageController],
  providers: [ChatService, RoomsService, UsersService, AdminGuard],
})
export class AppModule {}
