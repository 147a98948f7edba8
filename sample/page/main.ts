import './style.css';
import type { Subscription } from 'rxjs';
import type { ActionData } from '../../client/src/index.js';
import type { ApiContract } from '../api-contract.js';
import { sampleClient } from '../typed-client.js';
import { FrameLog } from './frame-log.js';
import { loggedWebSocket } from './logged-web-socket.js';
import { PageText } from './page.messages.js';

/**
 * The sample's page: the sample's typed client (sample/typed-client.ts) on this page's own origin,
 * actions as Promises, the `chat` channel as an Observable, the connection's state and the frames.
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

/** Shows what a call gives in `output`: the reply as JSON, or the error's code and message. */
async function showReply(output: HTMLElement, call: () => Promise<unknown>): Promise<void> {
  output.className = '';
  output.textContent = PageText.waiting;
  try {
    output.textContent = JSON.stringify(await call());
  } catch (error) {
    output.className = 'err';
    output.textContent = PageText.failure(error);
  }
}

/** A chat payload's text: `{ message }` as ChatService publishes it, any other payload as JSON. */
function chatText(payload: unknown): string {
  const message = (payload as { message?: unknown } | null)?.message;
  return typeof message === 'string' ? message : JSON.stringify(payload);
}

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
      item.textContent = chatText(payload);
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

byId('clear').addEventListener('click', () => log.clear());
