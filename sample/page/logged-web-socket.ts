import type { FrameLog } from './frame-log.js';
import { PageText } from './page.messages.js';

/**
 * The browser's WebSocket, telling `log` every frame it sends and receives and its opening and
 * closing: given to the client as its `WebSocket` option, it shows the frames the client exchanges
 * without the client knowing. Listeners, not the `on*` handlers, which are the client's.
 */
export function loggedWebSocket(log: FrameLog): typeof WebSocket {
  return class LoggedWebSocket extends WebSocket {
    constructor(url: string | URL, protocols?: string | string[]) {
      super(url, protocols);
      log.add('sys', PageText.connectingTo(String(url)));
      this.addEventListener('open', () => log.add('sys', PageText.socketOpen));
      this.addEventListener('close', (event) => log.add('sys', PageText.socketClosed(event.code, event.reason)));
      this.addEventListener('message', (event: MessageEvent<unknown>) => {
        const text = String(event.data);
        log.add(text.startsWith('{"type":"error"') ? 'err' : 'in', `← ${text}`);
      });
    }

    override send(data: Parameters<WebSocket['send']>[0]): void {
      super.send(data);
      log.add('out', `→ ${typeof data === 'string' ? data : PageText.binaryFrame}`);
    }
  };
}
