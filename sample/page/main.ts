import './style.css';
import type { Subscription } from 'rxjs';
import type { ActionData } from '../../client/src/index.js';
import type { ApiContract } from '../api-contract.js';
import { sampleClient } from '../typed-client.js';
import { FrameLog } from './frame-log.js';
import { loggedWebSocket } from './logged-web-socket.js';
import { messageText } from './message-text.js';
import { PageText } from './page.messages.js';
import { RoomPanel } from './room-panel.js';
import { showReply } from './show-reply.js';

/**
 * The sample's page: the sample's typed client (sample/typed-client.ts) on this page's own origin,
 * actions as Promises, the `chat` channel as an Observable, a room (its messages, recovered after a
 * reconnect, and its members), the connection's state and the frames.
 */
function byId<T extends HTMLElement = HTMLElement>(id: string): T {
  const element = document.getElementById(id);
  if (element === null) throw new Error(`#${id} is missing from the page`);
  return element as T;
}

const log = new FrameLog(byId('log'));
// The page's query is the socket's, as the sample reads it: `?role=admin` is what AdminGuard lets through.
const socketUrl = `${location.protocol === 'https:' ? 'wss' : 'ws'}://${location.host}/${location.search}`;
const client = sampleClient(socketUrl, { WebSocket: loggedWebSocket(log) });

const status = byId('status');
client.state$.subscribe((state) => {
  status.dataset.status = state.status;
  status.textContent = PageText.status(state);
});

const banner = byId('mismatch');
client.contractMismatch$.subscribe(({ serverHash }) => {
  banner.textContent = PageText.mismatch(serverHash);
  banner.hidden = false;
});

byId('add').addEventListener('click', () => {
  const a = byId<HTMLInputElement>('a').valueAsNumber;
  const b = byId<HTMLInputElement>('b').valueAsNumber;
  void showReply(byId('add-reply'), () => client.action('add_numbers', { a, b }));
});

byId('send').addEventListener('click', () => {
  const message = byId<HTMLInputElement>('message').value;
  void showReply(byId('send-reply'), () => client.action('send_message', { message }));
});

byId('admin').addEventListener('click', () => {
  void showReply(byId('admin-reply'), () => client.action('admin_stats'));
});

byId('create-user').addEventListener('click', () => {
  void showReply(byId('user-reply'), () => {
    // Whatever the textarea holds goes to the server, which validates it: a wrong shape shows its VALIDATION_ERROR.
    const data = JSON.parse(byId<HTMLTextAreaElement>('user').value) as ActionData<ApiContract, 'create_user'>;
    return client.action('create_user', data);
  });
});

const chat = byId('chat');
const subscribeButton = byId<HTMLButtonElement>('subscribe');
const unsubscribeButton = byId<HTMLButtonElement>('unsubscribe');
let chatFeed: Subscription | undefined;

function setSubscribed(subscribed: boolean): void {
  subscribeButton.disabled = subscribed;
  unsubscribeButton.disabled = !subscribed;
  log.add('sys', subscribed ? PageText.subscribed : PageText.unsubscribed);
}

subscribeButton.addEventListener('click', () => {
  setSubscribed(true);
  chatFeed = client.subscribe('chat').subscribe({
    next: (payload) => {
      const item = document.createElement('li');
      item.textContent = messageText(payload);
      chat.appendChild(item);
    },
    // A refusal, or the client closed for good: the feed is over, and may be subscribed again.
    error: (error: unknown) => {
      const item = document.createElement('li');
      item.className = 'err';
      item.textContent = PageText.failure(error);
      chat.appendChild(item);
      setSubscribed(false);
    },
  });
});

unsubscribeButton.addEventListener('click', () => {
  chatFeed?.unsubscribe();
  chatFeed = undefined;
  setSubscribed(false);
});

new RoomPanel(client, log, {
  roomId: byId('room-id'),
  join: byId('join'),
  leave: byId('leave'),
  notice: byId('room-notice'),
  members: byId('members'),
  messages: byId('room-messages'),
  message: byId('room-message'),
  send: byId('send-to-room'),
  reply: byId('room-reply'),
});

byId('clear').addEventListener('click', () => log.clear());
