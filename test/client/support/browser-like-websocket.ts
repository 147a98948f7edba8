import WebSocket from 'ws';

/**
 * A WebSocket that shows no more than a browser's: the standard event handlers only. Through `ws`
 * (a real socket), but without its `unexpected-response` event, so a refused handshake (HTTP 401)
 * is a bare 1006 close, as in a browser, and the client cannot read the status.
 */
export class BrowserLikeWebSocket {
  onopen: ((event: unknown) => void) | null = null;
  onmessage: ((event: { data: unknown }) => void) | null = null;
  onclose: ((event: { code: number; reason: string }) => void) | null = null;
  onerror: ((event: unknown) => void) | null = null;
  private readonly socket: WebSocket;

  constructor(url: string, protocols?: string | string[]) {
    this.socket = new WebSocket(url, protocols);
    this.socket.onopen = (event) => this.onopen?.(event);
    // ws's event interface gives text frames as strings, as a browser does.
    this.socket.onmessage = (event) => this.onmessage?.({ data: event.data });
    this.socket.onclose = (event) => this.onclose?.({ code: event.code, reason: event.reason });
    this.socket.onerror = (event) => this.onerror?.(event);
  }

  get readyState(): number {
    return this.socket.readyState;
  }

  send(data: string): void {
    this.socket.send(data);
  }

  close(code?: number, reason?: string): void {
    this.socket.close(code, reason);
  }
}
