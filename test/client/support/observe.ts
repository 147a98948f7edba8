import { firstValueFrom, type Observable, type Subscription } from 'rxjs';
import { filter } from 'rxjs/operators';
import type { ClientState, SocketApiClient } from '../../../client/src/index.js';
import { Wakeups, type WaitOptions } from '../../support/wait.js';

/** What an Observable gave, kept for assertions, with a wait for a condition on it. */
export class Recorder<T> {
  readonly values: T[] = [];
  error: unknown;
  completed = false;
  private readonly wakeups = new Wakeups();
  readonly subscription: Subscription;

  constructor(source: Observable<T>) {
    this.subscription = source.subscribe({
      next: (value) => {
        this.values.push(value);
        this.wakeups.wake();
      },
      error: (error: unknown) => {
        this.error = error;
        this.wakeups.wake();
      },
      complete: () => {
        this.completed = true;
        this.wakeups.wake();
      },
    });
  }

  until(condition: (values: T[]) => boolean, options: WaitOptions = {}): Promise<void> {
    return this.wakeups.until(() => condition(this.values), {
      detail: () => `have ${JSON.stringify(this.values)} (error: ${String(this.error)})`,
      ...options,
    });
  }

  close(): void {
    this.subscription.unsubscribe();
  }
}

export function stateReached(client: SocketApiClient, status: ClientState['status']): Promise<ClientState> {
  return firstValueFrom(client.state$.pipe(filter((state) => state.status === status)));
}
