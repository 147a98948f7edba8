import { Injectable } from '@nestjs/common';
import { Reflector } from '@nestjs/core';
import type { SocketActionMetadata } from '../decorators/socket-action.decorator.js';
import type { SocketChannelMetadata } from '../decorators/socket-channel.decorator.js';
import {
  SOCKET_ACTION_METADATA,
  SOCKET_CHANNEL_METADATA,
  SOCKET_CONNECT_HOOK_METADATA,
  SOCKET_DISCONNECT_HOOK_METADATA,
} from '../socket-api.constants.js';

/** Any method: what the decorators' metadata is attached to. */
type AnyMethod = (...args: never[]) => unknown;

@Injectable()
export class SocketApiMetadataAccessor {
  constructor(private readonly reflector: Reflector) {}

  getAction(method: AnyMethod): SocketActionMetadata | undefined {
    return this.reflector.get(SOCKET_ACTION_METADATA, method);
  }

  getChannel(method: AnyMethod): SocketChannelMetadata | undefined {
    return this.reflector.get(SOCKET_CHANNEL_METADATA, method);
  }

  isConnectHook(method: AnyMethod): boolean {
    return this.reflector.get(SOCKET_CONNECT_HOOK_METADATA, method) === true;
  }

  isDisconnectHook(method: AnyMethod): boolean {
    return this.reflector.get(SOCKET_DISCONNECT_HOOK_METADATA, method) === true;
  }
}
