import type { PresenceMember, PresenceStore, StreamSink } from '../interfaces/channel-stream.interface.js';

const DONE = Promise.resolve();

/**
 * The presence of one instance (no broker with a shared store): the members of each concrete
 * channel, in memory. Join and leave events go to the sink synchronously, from the call that added
 * or removed the member, and only then: at most once each. A channel's map is deleted with its last
 * member, so that a channel nobody is in costs nothing.
 */
export class MemoryPresenceStore implements PresenceStore {
  private readonly channels = new Map<string, Map<string, PresenceMember>>();

  constructor(private readonly sink: Pick<StreamSink, 'presence'>) {}

  join(channel: string, member: PresenceMember, announce: boolean): Promise<void> {
    let members = this.channels.get(channel);
    if (!members) {
      members = new Map();
      this.channels.set(channel, members);
    }
    const isNew = !members.has(member.clientId);
    members.set(member.clientId, member);
    if (isNew && announce) this.sink.presence(channel, 'join', member);
    return DONE;
  }

  leave(channel: string, clientId: string, announce: boolean): Promise<void> {
    const members = this.channels.get(channel);
    if (!members?.delete(clientId)) return DONE;
    if (members.size === 0) this.channels.delete(channel);
    if (announce) this.sink.presence(channel, 'leave', { clientId });
    return DONE;
  }

  list(channel: string): Promise<PresenceMember[]> {
    return Promise.resolve([...(this.channels.get(channel)?.values() ?? [])]);
  }

  /** Every member is a connection of this process, closed with it: nobody is left to tell. */
  close(): Promise<void> {
    this.channels.clear();
    return DONE;
  }

  /** Channels with members: what a test reads to check that nothing outlives its members. */
  get channelCount(): number {
    return this.channels.size;
  }
}
