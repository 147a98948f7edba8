import { Injectable } from '@nestjs/common';
import { Readiness, type NotReadyReason } from './readiness.js';

/** One indicator's result in `@nestjs/terminus`'s shape (its `HealthIndicatorResult`), typed here: terminus is not a dependency. */
export type SocketApiHealthResult<Key extends string = 'socketapi'> = Record<
  Key,
  { status: 'up' } | { status: 'down'; reason: NotReadyReason }
>;

/**
 * SocketAPI's readiness for `@nestjs/terminus`, which the app installs (this package does not depend
 * on it): `health.check([() => indicator.isHealthy()])`. Injectable anywhere (the module is global).
 * Down is returned, not thrown: terminus 11 and 12 both count a returned `status: 'down'` as a failed
 * check (503), where terminus 12 would answer a thrown error other than its own with 500.
 */
@Injectable()
export class SocketApiHealthIndicator {
  constructor(private readonly readiness: Readiness) {}

  /** `{ [key]: { status: 'up' } }`, or `{ [key]: { status: 'down', reason } }` (`starting`, `draining`, `broker`). */
  isHealthy<Key extends string = 'socketapi'>(key: Key = 'socketapi' as Key): SocketApiHealthResult<Key> {
    const verdict = this.readiness.check();
    const value = verdict.ready ? { status: 'up' as const } : { status: 'down' as const, reason: verdict.reason };
    return { [key]: value } as SocketApiHealthResult<Key>;
  }
}
