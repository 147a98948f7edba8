import { field, h, replace } from './dom.js';
import type { LoggedFrame } from './connection.js';

/** Frames kept for the view and the export; the oldest go first past it, so a busy channel cannot grow the page without bound. */
const MAX_FRAMES = 5000;

/** The live log of every frame in and out of every connection: filter, pause, clear, export. */
export class FrameLog {
  readonly element: HTMLElement;
  private readonly frames: LoggedFrame[] = [];
  private readonly body = h('tbody');
  private readonly filter = h('input', { attrs: { type: 'search', placeholder: 'text, channel, connection…' } });
  private readonly pause = h('input', { attrs: { type: 'checkbox' } });
  private readonly count = h('span', { class: 'muted', attrs: { 'aria-live': 'polite' } });

  constructor() {
    this.filter.addEventListener('input', () => this.render());
    this.pause.addEventListener('change', () => this.render());
    const pauseLabel = h('label', { class: 'inline' }, this.pause, ' Pause');
    this.element = h(
      'section',
      { class: 'log', attrs: { 'aria-labelledby': 'log-title' } },
      h('h2', { attrs: { id: 'log-title' } }, 'Live log'),
      h(
        'div',
        { class: 'toolbar' },
        field('Filter', this.filter),
        pauseLabel,
        h('button', { attrs: { type: 'button' }, on: { click: () => this.clear() } }, 'Clear'),
        h('button', { attrs: { type: 'button' }, on: { click: () => this.export() } }, 'Export JSON'),
        this.count,
      ),
      h(
        'div',
        { class: 'log-scroll' },
        h(
          'table',
          {},
          h(
            'thead',
            {},
            h(
              'tr',
              {},
              h('th', { attrs: { scope: 'col' } }, 'Time'),
              h('th', { attrs: { scope: 'col' } }, 'Conn.'),
              h('th', { attrs: { scope: 'col' } }, 'Dir.'),
              h('th', { attrs: { scope: 'col' } }, 'Size'),
              h('th', { attrs: { scope: 'col' } }, 'Frame'),
            ),
          ),
          this.body,
        ),
      ),
    );
    this.render();
  }

  record(frame: LoggedFrame): void {
    this.frames.push(frame);
    if (this.frames.length > MAX_FRAMES) this.frames.shift();
    // Paused: recorded (and exported) all the same, shown when the pause ends.
    if (this.pause.checked) return this.renderCount();
    if (this.matches(frame)) this.body.prepend(row(frame));
    if (this.body.childElementCount > MAX_FRAMES) this.body.lastElementChild?.remove();
    this.renderCount();
  }

  private matches(frame: LoggedFrame): boolean {
    const wanted = this.filter.value.trim().toLowerCase();
    return wanted === '' || `${frame.connection} ${frame.text}`.toLowerCase().includes(wanted);
  }

  private render(): void {
    if (this.pause.checked) return this.renderCount();
    replace(
      this.body,
      ...this.frames
        .filter((frame) => this.matches(frame))
        .reverse()
        .map(row),
    );
    this.renderCount();
  }

  private renderCount(): void {
    const paused = this.pause.checked ? ' (paused)' : '';
    this.count.textContent = `${this.body.childElementCount} shown of ${this.frames.length} frames${paused}`;
  }

  private clear(): void {
    this.frames.length = 0;
    this.render();
  }

  /** Downloads every recorded frame as JSON, from a Blob URL (no request leaves the page). */
  private export(): void {
    const frames = this.frames.map((frame) => ({ ...frame, time: new Date(frame.time).toISOString() }));
    const url = URL.createObjectURL(new Blob([JSON.stringify(frames, null, 2)], { type: 'application/json' }));
    const link = h('a', { attrs: { href: url, download: `socket-frames-${Date.now()}.json` } });
    document.body.append(link);
    link.click();
    link.remove();
    setTimeout(() => URL.revokeObjectURL(url), 10_000);
  }
}

function row(frame: LoggedFrame): HTMLTableRowElement {
  const time = new Date(frame.time);
  const clock = `${time.toLocaleTimeString([], { hour12: false })}.${String(time.getMilliseconds()).padStart(3, '0')}`;
  return h(
    'tr',
    { class: `frame-${frame.direction}` },
    h('td', {}, clock),
    h('td', {}, frame.connection),
    h(
      'td',
      { attrs: { title: frame.direction === 'out' ? 'sent' : 'received' } },
      frame.direction === 'out' ? '→ out' : '← in',
    ),
    h('td', {}, `${frame.size} B`),
    h('td', { class: 'mono' }, frame.text),
  );
}
