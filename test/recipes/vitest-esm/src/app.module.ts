import { Module } from '@nestjs/common';
import { SocketApiModule } from 'nestjs-socketapi';
import { AppController } from './app.controller.js';
import { AppService } from './app.service.js';
import { ChatService } from './chat.service.js';

@Module({
  imports: [SocketApiModule.forRoot()],
  controllers: [AppController],
  providers: [AppService, ChatService],
})
export class AppModule {}
