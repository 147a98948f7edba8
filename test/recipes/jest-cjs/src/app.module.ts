import { Module } from '@nestjs/common';
import { SocketApiModule } from 'nestjs-socketapi';
import { AppController } from './app.controller';
import { AppService } from './app.service';
import { ChatService } from './chat.service';

@Module({
  imports: [SocketApiModule.forRoot()],
  controllers: [AppController],
  providers: [AppService, ChatService],
})
export class AppModule {}
