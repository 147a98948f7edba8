import { UsePipes, ValidationPipe } from '@nestjs/common';
import {
  ConnectedSocket,
  MessageBody,
  OnGatewayDisconnect,
  SubscribeMessage,
  WebSocketGateway,
} from '@nestjs/websockets';
import type { WsResponse } from '@nestjs/websockets';
import type { WebSocket } from 'ws';
import { AddDto } from './add.dto.js';

/**
 * The bench workload as a plain Nest gateway on `@nestjs/platform-ws` (Nest's `{event, data}`
 * protocol, no ids: replies go back in request order).
 *   {"event":"add","data":{"a":5,"b":3}}  -> {"event":"add","data":8}
 *   {"event":"subscribe"}                  -> {"event":"subscribed","data":"chat"}
 *   {"event":"publish","data":P}           -> every subscriber {"event":"data","data":P}; publisher {"event":"publish","data":true}
 */
@WebSocketGateway()
export class BenchGateway implements OnGatewayDisconnect {
  private readonly subscribers = new Set<WebSocket>();

  @SubscribeMessage('add')
  @UsePipes(new ValidationPipe())
  add(@MessageBody() { a, b }: AddDto): WsResponse<number> {
    return { event: 'add', data: a + b };
  }

  @SubscribeMessage('subscribe')
  subscribe(@ConnectedSocket() client: WebSocket): WsResponse<string> {
    this.subscribers.add(client);
    return { event: 'subscribed', data: 'chat' };
  }

  @SubscribeMessage('unsubscribe')
  unsubscribe(@ConnectedSocket() client: WebSocket): WsResponse<string> {
    this.subscribers.delete(client);
    return { event: 'unsubscribed', data: 'chat' };
  }

  @SubscribeMessage('publish')
  publish(@MessageBody() data: unknown): WsResponse<boolean> {
    const frame = JSON.stringify({ event: 'data', data });
    for (const client of this.subscribers) {
      if (client.readyState === 1) client.send(frame);
    }
    return { event: 'publish', data: true };
  }

  handleDisconnect(client: WebSocket): void {
    this.subscribers.delete(client);
  }
}
