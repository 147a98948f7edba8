import type { ApiDocument } from './api-document.js';
import { field, h } from './dom.js';
import { PageConnection, type LoggedFrame, type Status } from './connection.js';

const AUTH_HELP = {
  query: (name: string) => `sent as ?${name}=… in the socket URL`,
  subprotocol: (protocol: string) => `sent in the WebSocket subprotocols ('${protocol}', token)`,
};

/**
 * The page's connections, side by side (A, B, …): each with its URL, token, Connect/Disconnect and
 * status. The cards act on the selected one; every connection's frames reach the log and the cards.
 */
export class Connections {
  readonly element: HTMLElement;
  readonly all: PageConnection[] = [];
  selected: PageConnection;
  private readonly list = h('div', { class: 'connection-list' });
  private readonly added = new Set<(connection: PageConnection) => void>();

  constructor(
    private readonly api: ApiDocument,
    private readonly record: (frame: LoggedFrame) => void,
  ) {
    this.element = h(
      'section',
      { class: 'connections', attrs: { 'aria-labelledby': 'connections-title' } },
      h(
        'div',
        { class: 'section-head' },
        h('h2', { attrs: { id: 'connections-title' } }, 'Connections'),
        h('button', { attrs: { type: 'button' }, on: { click: () => this.add() } }, 'Add connection'),
      ),
      this.list,
    );
    this.selected = this.add();
  }

  /** Called for each connection, those to come included. */
  onAdded(listener: (connection: PageConnection) => void): void {
    this.added.add(listener);
    for (const connection of this.all) listener(connection);
  }

  private add(): PageConnection {
    const name = String.fromCharCode(65 + (this.all.length % 26)) + (this.all.length >= 26 ? this.all.length : '');
    const connection = new PageConnection(name, this.record);
    this.all.push(connection);
    this.list.append(this.panel(connection));
    for (const listener of this.added) listener(connection);
    return connection;
  }

  private panel(connection: PageConnection): HTMLElement {
    const { auth } = this.api;
    const scheme = location.protocol === 'https:' ? 'wss' : 'ws';
    const url = h('input', { attrs: { type: 'url', value: `${scheme}://${location.host}${this.api.socketPath}` } });
    const token = h('input', { attrs: { type: 'password', autocomplete: 'off' } });
    const status = h(
      'output',
      { class: 'status status-disconnected', attrs: { 'aria-live': 'polite' } },
      'disconnected',
    );
    const toggle = h('button', { attrs: { type: 'button' } }, 'Connect');
    const select = h('input', {
      attrs: { type: 'radio', name: 'selected-connection', checked: this.all.length === 1 },
      on: { change: () => (this.selected = connection) },
    });
    toggle.addEventListener('click', () => {
      if (connection.status === 'disconnected') connection.connect(url.value, auth, token.value);
      else connection.close();
    });
    connection.onStatus((state: Status, detail?: string) => {
      status.className = `status status-${state}`;
      status.textContent = detail && state === 'disconnected' ? `${state}: ${detail}` : state;
      toggle.textContent = state === 'disconnected' ? 'Connect' : 'Disconnect';
      url.disabled = token.disabled = state !== 'disconnected';
    });
    return h(
      'fieldset',
      { class: 'connection', attrs: { 'data-connection': connection.name } },
      h('legend', {}, `Connection ${connection.name}`),
      field('Socket URL', url),
      auth.kind === 'none'
        ? null
        : field(
            `Auth token (${auth.kind === 'query' ? AUTH_HELP.query(auth.name) : AUTH_HELP.subprotocol(auth.protocol)})`,
            token,
          ),
      h('div', { class: 'row' }, toggle, status),
      h('label', { class: 'inline' }, select, ' Cards use this connection'),
    );
  }
}
