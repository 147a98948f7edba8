import './style.css';
import { readDocument, type ApiDocument, type HandlerDoc, type JsonObject } from './api-document.js';
import { handlerCard } from './cards.js';
import { Connections } from './connections.js';
import { field, h, replace } from './dom.js';
import { FrameLog } from './frame-log.js';

/**
 * The docs page: reads the document from the URL the shell names (`data-document`), asking for the
 * docs token when the server wants one, then shows the connections, the cards by tag and the log.
 */
const root = document.getElementById('app');
if (root) void start(root, root.dataset.document ?? 'asyncapi.json');

async function start(root: HTMLElement, documentUrl: string): Promise<void> {
  // `#token=…` lets a link carry the docs token; it is read once and taken out of the address bar
  // (a fragment is never sent to the server, a query string would be: in logs, in Referer).
  const fragment = new URLSearchParams(location.hash.slice(1));
  const linked = fragment.get('token');
  if (linked !== null) history.replaceState(null, '', location.pathname + location.search);
  await load(root, documentUrl, linked ?? undefined);
}

async function load(root: HTMLElement, documentUrl: string, token: string | undefined, refused = false): Promise<void> {
  let response: Response;
  try {
    response = await fetch(documentUrl, {
      headers: token ? { authorization: `Bearer ${token}` } : {},
      cache: 'no-store',
      credentials: 'omit',
    });
  } catch (error) {
    return replace(
      root,
      h(
        'p',
        { class: 'outcome outcome-error', attrs: { role: 'alert' } },
        `Could not load ${documentUrl}: ${(error as Error).message}`,
      ),
    );
  }
  if (response.status === 401) return askToken(root, documentUrl, refused || token !== undefined);
  if (!response.ok) {
    return replace(
      root,
      h('p', { class: 'outcome outcome-error', attrs: { role: 'alert' } }, `${documentUrl}: HTTP ${response.status}`),
    );
  }
  render(root, readDocument((await response.json()) as JsonObject));
}

function askToken(root: HTMLElement, documentUrl: string, wrong: boolean): void {
  const input = h('input', { attrs: { type: 'password', autocomplete: 'off', required: true } });
  const form = h(
    'form',
    { class: 'token-form', attrs: { 'aria-labelledby': 'token-title' } },
    h('h1', { attrs: { id: 'token-title' } }, 'Socket docs'),
    h('p', {}, 'These docs need the access token (docs.token of the server).'),
    wrong ? h('p', { class: 'outcome outcome-error', attrs: { role: 'alert' } }, 'That token was refused.') : null,
    field('Docs token', input),
    h('button', { class: 'primary', attrs: { type: 'submit' } }, 'Open the docs'),
  );
  form.addEventListener('submit', (event) => {
    event.preventDefault();
    void load(root, documentUrl, input.value, true);
  });
  replace(root, form);
  input.focus();
}

/** A card, or what went wrong drawing it: one schema the page cannot read must not take the others down. */
function safeCard(api: ApiDocument, handler: HandlerDoc, connections: Connections): HTMLElement {
  try {
    return handlerCard(api, handler, connections);
  } catch (error) {
    return h(
      'p',
      { class: 'outcome outcome-error', attrs: { role: 'alert' } },
      `${handler.kind} ${handler.name}: the page could not show it (${(error as Error).message})`,
    );
  }
}

function render(root: HTMLElement, api: ApiDocument): void {
  document.title = `${api.title} — socket docs`;
  const log = new FrameLog();
  const connections = new Connections(api, (frame) => log.record(frame));
  const groups = [...api.groups].map(([tag, handlers]) =>
    h(
      'section',
      { class: 'group', attrs: { 'aria-label': tag } },
      h('h2', {}, tag),
      ...handlers.map((handler) => safeCard(api, handler, connections)),
    ),
  );
  replace(
    root,
    h(
      'header',
      { class: 'page-head' },
      h('h1', {}, api.title, ' ', h('span', { class: 'version' }, api.version)),
      api.description ? h('p', { class: 'description' }, api.description) : null,
    ),
    h(
      'div',
      { class: 'layout' },
      h(
        'main',
        {},
        connections.element,
        ...(groups.length > 0 ? groups : [h('p', { class: 'muted' }, 'This server has no actions or channels.')]),
      ),
      h('aside', {}, log.element),
    ),
  );
}
