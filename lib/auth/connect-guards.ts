import type { IncomingHttpHeaders } from 'node:http';
import { Inject, Injectable, type CanActivate, type OnApplicationBootstrap } from '@nestjs/common';
import { ModuleRef } from '@nestjs/core';
import { ExecutionContextHost } from '@nestjs/core/internal';
import { isObservable, lastValueFrom } from 'rxjs';
import type { SocketConnection } from '../connection/socket-connection.js';
import { parseCookies } from '../network/request-parsing.js';
import { RESOLVED_SOCKET_API_OPTIONS, type ResolvedSocketApiOptions } from '../options/resolved-options.js';

/**
 * What connect guards get from `context.switchToHttp().getRequest()`. At connect it is the upgrade
 * request itself (Node's `IncomingMessage`) with `user`, `query` and `cookies` set. At an in-band
 * renewal the upgrade request is long gone (connections keep only its headers and URL), so guards
 * get a plain object of the same shape, built from what the connection kept, with the new `user`
 * and `renewing` set to the connection.
 */
export interface ConnectGuardRequest<User = unknown> {
  /** The upgrade request's headers (at renewal: as the connection kept them, a copy). */
  headers: IncomingHttpHeaders;
  /** Path and query string of the upgrade request. */
  url?: string;
  method?: string;
  query: Record<string, string | string[]>;
  cookies: Record<string, string>;
  /** The identity being admitted: the authenticator's (at renewal: the new one), or undefined. */
  user?: User;
  socket: { remoteAddress?: string };
  /** Set at renewal only: the connection whose credentials are renewed (its `user` is still the old one). */
  renewing?: SocketConnection<User>;
}

/**
 * The `connectGuards` of the module options, resolved with DI, and their one way of running: at
 * the handshake and again at every in-band renewal, so that a renewal is admitted by the same
 * rules as a connection.
 */
@Injectable()
export class ConnectGuards implements OnApplicationBootstrap {
  private guards: CanActivate[] = [];

  constructor(
    @Inject(RESOLVED_SOCKET_API_OPTIONS) private readonly options: ResolvedSocketApiOptions,
    private readonly moduleRef: ModuleRef,
  ) {}

  async onApplicationBootstrap(): Promise<void> {
    this.guards = await Promise.all(this.options.connectGuards.map((guard) => this.resolve(guard)));
  }

  get any(): boolean {
    return this.guards.length > 0;
  }

  /** Whether every guard lets the request in; what a guard throws is thrown. */
  async allow(request: ConnectGuardRequest): Promise<boolean> {
    // Of type 'http': the upgrade is an HTTP request, and guards written for routes read it as one.
    const context = new ExecutionContextHost([request, undefined, undefined], ConnectGuards, handshake);
    for (const guard of this.guards) {
      const result = await guard.canActivate(context);
      if (!(isObservable(result) ? await lastValueFrom(result) : result)) return false;
    }
    return true;
  }

  /** The request guards see when `connection` renews its credentials to an identity of `user`. */
  renewalRequest(connection: SocketConnection, user: unknown): ConnectGuardRequest {
    const headers = { ...connection.headers };
    return {
      headers,
      url: connection.url,
      method: 'GET',
      query: { ...connection.query },
      cookies: parseCookies(typeof headers.cookie === 'string' ? headers.cookie : undefined),
      user,
      socket: { remoteAddress: connection.remoteAddress },
      renewing: connection,
    };
  }

  /** A guard that is a provider somewhere keeps its own DI; any other is created for the module. */
  private async resolve(guard: ResolvedSocketApiOptions['connectGuards'][number]): Promise<CanActivate> {
    try {
      return this.moduleRef.get(guard, { strict: false });
    } catch {
      return this.moduleRef.create(guard);
    }
  }
}

/** What guards see as the handler, at connect and at renewal: the handshake (something Reflector can read). */
function handshake(): void {}
