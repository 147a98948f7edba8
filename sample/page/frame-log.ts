/** The kinds of lines of the log: a frame sent, a frame received, an error frame, the connection's events. */
export type LogKind = 'out' | 'in' | 'err' | 'sys';

/** The page's log of frames and connection events, newest at the bottom. */
export class FrameLog {
  constructor(private readonly element: HTMLElement) {}

  add(kind: LogKind, text: string): void {
    const line = document.createElement('div');
    line.className = kind;
    // Text, never markup: a frame's content cannot inject anything into the page.
    line.textContent = `${new Date().toLocaleTimeString()}  ${text}`;
    this.element.appendChild(line);
    this.element.scrollTop = this.element.scrollHeight;
  }

  clear(): void {
    this.element.textContent = '';
  }
}
