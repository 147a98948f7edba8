import { Subject, filter, type Observable } from 'rxjs';
import type { PresenceMember, ServerFrame } from './frames.js';

/** A subscriber of a presence channel came (`join`) or went (`leave`); never about the client itself. */
export interface PresenceEvent<Info = unknown> {
  readonly type: 'join' | 'leave';
  readonly channel: string;
  readonly member: PresenceMember<Info>;
}

/**
 * The `join` and `leave` frames of every presence channel the client is subscribed to (channels
 * declared with `joinLeave`), handed out by channel.
 */
export class PresenceFeed {
  private readonly events = new Subject<PresenceEvent>();

  /** A `join` or `leave` frame; one whose `data` is not a member is ignored. */
  received(frame: ServerFrame): void {
    const { type, channel, data } = frame;
    if ((type !== 'join' && type !== 'leave') || typeof channel !== 'string' || !isMember(data)) return;
    this.events.next({ type, channel, member: data });
  }

  of<Info>(channel: string): Observable<PresenceEvent<Info>> {
    return this.events.pipe(filter((event): event is PresenceEvent<Info> => event.channel === channel));
  }

  complete(): void {
    this.events.complete();
  }
}

/** The members of a `presence` reply's `data` (entries that are not members are left out). */
export function presenceMembers(data: unknown): PresenceMember[] {
  return Array.isArray(data) ? data.filter(isMember) : [];
}

function isMember(value: unknown): value is PresenceMember {
  return typeof value === 'object' && value !== null && typeof (value as PresenceMember).clientId === 'string';
}
