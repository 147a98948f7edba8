import { Inject, Injectable } from '@nestjs/common';
import type { SocketApiBroker } from '../interfaces/socket-api-broker.interface.js';
import { SOCKET_API_BROKER } from '../socket-api.constants.js';
import { ServingState } from './serving-state.js';

/** Why the instance is not ready: told to the orchestrator (and read by people), never a secret. */
export type NotReadyReason = 'starting' | 'draining' | 'broker';

/** Ready, or the reason it is not. */
export type ReadinessVerdict = { ready: true } | { ready: false; reason: NotReadyReason };

const READY: ReadinessVerdict = { ready: true };
const NOT_READY: Record<NotReadyReason, ReadinessVerdict> = {
  starting: { ready: false, reason: 'starting' },
  draining: { ready: false, reason: 'draining' },
  broker: { ready: false, reason: 'broker' },
};

/**
 * Whether this instance should get new clients: its socket is served (not before it starts, not
 * once shutdown drains it) and its broker reaches the other instances (a broker without
 * `connected` is taken as always connected). Read at each probe: nothing is polled in between.
 */
@Injectable()
export class Readiness {
  constructor(
    private readonly state: ServingState,
    @Inject(SOCKET_API_BROKER) private readonly broker: SocketApiBroker,
  ) {}

  check(): ReadinessVerdict {
    const { phase } = this.state;
    if (phase !== 'serving') return NOT_READY[phase];
    if (this.broker.connected === false) return NOT_READY.broker;
    return READY;
  }
}
