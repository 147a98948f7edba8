import { ForbiddenException, Injectable, type CanActivate, type ExecutionContext } from '@nestjs/common';
import type { SocketConnection } from '../../lib/index.js';

/**
 * Lets a message through only on connections opened with `?role=admin` in the URL
 * (e.g. `ws://localhost:3000/?role=admin`). A real app would check a token instead.
 */
@Injectable()
export class AdminGuard implements CanActivate {
  canActivate(context: ExecutionContext): boolean {
    const connection = context.switchToWs().getClient<SocketConnection>();
    if (connection.query.role === 'admin') return true;
    throw new ForbiddenException('Admins only: connect with ?role=admin');
  }
}
