import { Module } from '@nestjs/common';
import { SocketApiModule } from '../lib/index.js';
import { AdminGuard } from './auth/admin.guard.js';
import { ChatService } from './chat/chat.service.js';
import { PageController } from './page.controller.js';
import { RoomsService } from './rooms/rooms.service.js';
import { UsersService } from './users/users.service.js';

@Module({
  // Prometheus metrics at GET /metrics, health probes at /health/live and /health/ready (docs/operations.md).
  imports: [SocketApiModule.forRoot({ path: '/', docs: true, metrics: true, health: true })],
  controllers: [PageController],
  providers: [ChatService, RoomsService, UsersService, AdminGuard],
})
export class AppModule {}
