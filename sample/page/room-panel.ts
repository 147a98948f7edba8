import { Subscription } from 'rxjs';
import type { ClientState, PresenceEvent, PresenceMember, SocketApiClient } from '../../client/src/index.js';
import type { ApiContract } from '../api-contract.js';
import type { FrameLog } from './frame-log.js';
import { messageText } from './message-text.js';
import { PageText } from './page.messages.js';
import { showReply } from './show-reply.js';

/** The elements of the page's Room panel (sample/page.html.ts). */
export interface RoomElements {
  roomId: HTMLInputElement;
  join: HTMLButtonElement;
  leave: HTMLButtonElement;
  /** Shown when the room's messages could not all be recovered after a reconnect. */
  notice: HTMLElement;
  members: HTMLElement;
  messages: HTMLElement;
  message: HTMLInputElement;
  send: HTMLButtonElement;
  reply: HTMLElement;
}

type RoomChannel = `rooms/${string}`;

/** The room the page is in: its channel, and what it observes of it (messages, joins and leaves). */
interface JoinedRoom {
  readonly channel: RoomChannel;
  readonly feeds: Subscription;
}

/**
 * The Room panel: joins `rooms/<id>` and shows its messages and members, and sends to it with
 * `send_to_room`. After a reconnect the client resubscribes with the last offset it saw and the server
 * replays what was missed (the panel does nothing for that); when it cannot, the panel says that some
 * messages may be missing, where, and reloads nothing. Members are asked again after every reconnect:
 * the joins and leaves of the time the page was away are not replayed.
 *
 * Messages and members' names come from other people: shown as text (`textContent`), never as markup.
 */
export class RoomPanel {
  private room?: JoinedRoom;
  private members = new Map<string, unknown>();
  private status: ClientState['status'] | undefined;

  constructor(
    private readonly client: SocketApiClient<ApiContract>,
    private readonly log: FrameLog,
    private readonly view: RoomElements,
  ) {
    view.join.addEventListener('click', () => this.join());
    view.leave.addEventListener('click', () => this.leave());
    view.send.addEventListener('click', () => this.send());
    client.state$.subscribe(({ status }) => this.connectionChanged(status));
    client.recovery$.subscribe(({ channel, recovered }) => {
      if (channel === this.room?.channel && !recovered) this.showGap();
    });
  }

  private join(): void {
    const roomId = this.view.roomId.value.trim();
    const channel: RoomChannel = `rooms/${roomId}`;
    const feeds = new Subscription();
    const room: JoinedRoom = { channel, feeds };
    this.room = room;
    this.view.messages.textContent = '';
    this.view.notice.hidden = true;
    this.setJoined(true, PageText.joinedRoom(roomId));
    // Events first: a join that follows the subscribe closely is not missed.
    feeds.add(this.client.presenceEvents(channel).subscribe((event) => this.memberEvent(event)));
    feeds.add(
      this.client.subscribe(channel).subscribe({
        next: (payload) => this.addLine(messageText(payload)),
        // A refusal (a bad room id: VALIDATION_ERROR), or the client closed for good: out of the room.
        error: (error: unknown) => {
          this.view.reply.className = 'err';
          this.view.reply.textContent = PageText.failure(error);
          if (this.room === room) this.leave();
        },
      }),
    );
    // The server answers a connection's frames in order: the presence query follows the subscribe.
    if (this.client.state.status === 'open') void this.refreshMembers(room);
  }

  private leave(): void {
    const { room } = this;
    if (!room) return;
    this.room = undefined;
    room.feeds.unsubscribe();
    this.showMembers(new Map());
    this.setJoined(false, PageText.leftRoom(room.channel));
  }

  private send(): void {
    const roomId = this.view.roomId.value.trim();
    const message = this.view.message.value;
    void showReply(this.view.reply, () => this.client.action('send_to_room', { roomId, message }));
  }

  private setJoined(joined: boolean, line: string): void {
    this.view.roomId.disabled = joined;
    this.view.join.disabled = joined;
    this.view.leave.disabled = !joined;
    this.log.add('sys', line);
  }

  /**
   * Disconnected, the members shown would go stale unseen: they are cleared. Open again, they are asked
   * anew (the client announces `open` after it has subscribed again, so the server lists this page too).
   */
  private connectionChanged(status: ClientState['status']): void {
    const was = this.status;
    this.status = status;
    const { room } = this;
    if (!room || status === was) return;
    if (status === 'open') void this.refreshMembers(room);
    else if (was === 'open') this.showMembers(new Map());
  }

  private async refreshMembers(room: JoinedRoom): Promise<void> {
    try {
      const members = await this.client.presence(room.channel);
      if (this.room === room) this.showMembers(new Map(members.map(({ clientId, info }) => [clientId, info])));
    } catch (error) {
      if (this.room !== room) return;
      this.view.reply.className = 'err';
      this.view.reply.textContent = PageText.failure(error);
    }
  }

  private memberEvent({ type, member }: PresenceEvent<unknown>): void {
    const members = new Map(this.members);
    if (type === 'join') members.set(member.clientId, member.info);
    else members.delete(member.clientId);
    this.showMembers(members);
  }

  private showMembers(members: Map<string, unknown>): void {
    this.members = members;
    const names = [...members].map(([clientId, info]) => memberName({ clientId, info }));
    this.view.members.replaceChildren(...names.sort((a, b) => a.localeCompare(b)).map((name) => listItem(name)));
  }

  /** The recovery failed: said once at the top, and marked where the missing messages would be. */
  private showGap(): void {
    this.view.notice.textContent = PageText.roomRecoveryFailed;
    this.view.notice.hidden = false;
    this.addLine(PageText.roomGap, 'gap');
  }

  private addLine(text: string, className?: string): void {
    const item = listItem(text);
    if (className) item.className = className;
    this.view.messages.appendChild(item);
  }
}

/** A member as the list shows it: the display name it gave (the server's `info`), else a short clientId. */
function memberName({ clientId, info }: PresenceMember<unknown>): string {
  const name = (info as { name?: unknown } | undefined)?.name;
  return typeof name === 'string' ? name : PageText.unnamedMember(clientId);
}

function listItem(text: string): HTMLLIElement {
  const item = document.createElement('li');
  item.textContent = text;
  return item;
}
