import {
  asText,
  type ActionDoc,
  type ApiDocument,
  type ChannelDoc,
  type HandlerDoc,
  type Json,
  type JsonObject,
} from './api-document.js';
import { field, h, pretty, replace, uid, type Child } from './dom.js';
import type { Answer, PageConnection } from './connection.js';
import type { Connections } from './connections.js';
import { inlineRefs, parameterRows, skeleton } from './schema.js';

/** Live publications kept in a channel card; the log keeps them all. */
const MAX_PUBLICATIONS = 50;
/** A `:param` segment of a channel pattern (`rooms/:roomId`). */
const PATTERN_SEGMENT = /(^|\/):[A-Za-z_][A-Za-z0-9_]*(\/|$)/;

/** A card per action or channel: what it takes and gives, and Try it out on the selected connection. */
export function handlerCard(api: ApiDocument, handler: HandlerDoc, connections: Connections): HTMLElement {
  const body =
    handler.kind === 'action' ? actionBody(api, handler, connections) : channelBody(api, handler, connections);
  return h(
    'details',
    { class: `card card-${handler.kind}`, attrs: { 'data-name': handler.name, 'data-kind': handler.kind } },
    h(
      'summary',
      {},
      h('span', { class: `badge badge-${handler.kind}` }, handler.kind),
      h('code', { class: 'name' }, handler.name),
      handler.deprecated ? h('span', { class: 'badge badge-deprecated' }, 'deprecated') : null,
      handler.description ? h('span', { class: 'summary-text' }, firstLine(handler.description)) : null,
    ),
    h('div', { class: 'card-body' }, ...body),
  );
}

function actionBody(api: ApiDocument, action: ActionDoc, connections: Connections): Child[] {
  const editor = dataEditor(api, action.data, action.example);
  const result = h('div', { class: 'result', attrs: { 'aria-live': 'polite' } });
  const execute = async () => {
    const data = parseData(editor, result);
    if (data === INVALID) return;
    const connection = connections.selected;
    replace(result, h('p', { class: 'muted' }, `Sent on ${connection.name}…`));
    try {
      const frame: Record<string, Json> = { type: 'action', channel: action.name };
      if (data !== undefined) frame.data = data;
      showAnswer(result, connection, await connection.request(frame));
    } catch (error) {
      replace(result, h('p', { class: 'outcome outcome-error' }, (error as Error).message));
    }
  };
  return [
    ...describe(api, action),
    schemaBlock(api, 'Reply data', action.reply),
    h(
      'div',
      { class: 'try' },
      h('h4', {}, 'Try it out'),
      editor ? field('data (JSON)', editor) : h('p', { class: 'muted' }, 'This action takes no data.'),
      h('button', { class: 'primary', attrs: { type: 'button' }, on: { click: () => void execute() } }, 'Execute'),
      result,
    ),
  ];
}

function channelBody(api: ApiDocument, channel: ChannelDoc, connections: Connections): Child[] {
  const editor = dataEditor(api, channel.data, channel.example);
  const result = h('div', { class: 'result', attrs: { 'aria-live': 'polite' } });
  const publications = h('ol', { class: 'publications', attrs: { 'aria-label': `Publications on ${channel.name}` } });
  // A pattern channel (`rooms/:roomId`) is subscribed to by a concrete name (`rooms/42`): the user writes it.
  const nameInput = PATTERN_SEGMENT.test(channel.name)
    ? h('input', { class: 'mono', attrs: { type: 'text', value: channel.name, spellcheck: 'false' } })
    : undefined;
  const concreteName = () => nameInput?.value.trim() ?? channel.name;
  const send = async (type: 'subscribe' | 'unsubscribe') => {
    const data = type === 'subscribe' ? parseData(editor, result) : undefined;
    if (data === INVALID) return;
    const connection = connections.selected;
    const frame: Record<string, Json> = { type, channel: concreteName() };
    if (data !== undefined) frame.data = data;
    try {
      showAnswer(result, connection, await connection.request(frame));
    } catch (error) {
      replace(result, h('p', { class: 'outcome outcome-error' }, (error as Error).message));
    }
  };
  connections.onAdded((connection) =>
    connection.onFrame((frame, from) => {
      if (frame.type !== 'data' || frame.channel !== concreteName()) return;
      publications.prepend(publication(from, frame.data));
      while (publications.childElementCount > MAX_PUBLICATIONS) publications.lastElementChild?.remove();
    }),
  );
  return [
    ...describe(api, channel),
    schemaBlock(api, 'Publication data', channel.payload),
    h(
      'div',
      { class: 'try' },
      h('h4', {}, 'Try it out'),
      nameInput ? field('Channel (replace each :parameter)', nameInput) : null,
      editor ? field('Subscribe data (JSON)', editor) : null,
      h(
        'div',
        { class: 'row' },
        h(
          'button',
          { class: 'primary', attrs: { type: 'button' }, on: { click: () => void send('subscribe') } },
          'Subscribe',
        ),
        h('button', { attrs: { type: 'button' }, on: { click: () => void send('unsubscribe') } }, 'Unsubscribe'),
      ),
      result,
      h('h4', {}, 'Live data'),
      publications,
    ),
  ];
}

function describe(api: ApiDocument, handler: HandlerDoc): Child[] {
  const rows = parameterRows(api.resolver, handler.data);
  const caption = handler.kind === 'action' ? 'Parameters (data)' : 'Subscribe parameters (data)';
  return [
    handler.description ? h('p', { class: 'description' }, handler.description) : null,
    rows.length === 0
      ? h(
          'p',
          { class: 'muted' },
          `${caption}: ${describesNothing(handler.data) ? 'not described by the document' : 'none'}.`,
        )
      : h(
          'table',
          { class: 'parameters' },
          h('caption', {}, caption),
          h(
            'thead',
            {},
            h(
              'tr',
              {},
              ...['Name', 'Type', 'Required', 'Constraints'].map((title) =>
                h('th', { attrs: { scope: 'col' } }, title),
              ),
            ),
          ),
          h(
            'tbody',
            {},
            ...rows.map((row) =>
              h(
                'tr',
                {},
                h('td', {}, h('code', {}, row.name)),
                h('td', {}, h('code', {}, row.type)),
                h('td', {}, row.required ? 'yes' : 'no'),
                h(
                  'td',
                  {},
                  row.constraints.join(', ') || '—',
                  row.description ? h('div', { class: 'muted' }, row.description) : null,
                ),
              ),
            ),
          ),
        ),
    schemaBlock(api, caption.replace(/ \(data\)$/, ' schema'), handler.data),
  ];
}

/** A schema with no type and no properties: any JSON (a handler whose parameters the document cannot tell). */
function describesNothing(schema: JsonObject | undefined): boolean {
  return !schema || Object.keys(schema).every((key) => key === 'description' || key === 'title');
}

function schemaBlock(api: ApiDocument, title: string, schema: JsonObject | undefined): HTMLElement {
  if (!schema) return h('p', { class: 'muted' }, `${title}: not documented.`);
  return h(
    'details',
    { class: 'schema' },
    h('summary', {}, title),
    h('pre', {}, pretty(inlineRefs(api.resolver, schema))),
  );
}

function dataEditor(
  api: ApiDocument,
  schema: JsonObject | undefined,
  example: Json | undefined,
): HTMLTextAreaElement | undefined {
  if (!schema && example === undefined) return undefined;
  // `data` is an object of parameters on the wire: `{}` when the schema gives nothing better.
  const value = example !== undefined ? example : (skeleton(api.resolver, schema) ?? {});
  const text = pretty(value);
  return h(
    'textarea',
    {
      class: 'mono',
      attrs: { rows: Math.min(Math.max(text.split('\n').length, 3), 16), spellcheck: 'false', id: uid('data') },
    },
    text,
  );
}

const INVALID = Symbol('invalid');

/** The editor's JSON (undefined when empty), or INVALID with the reason shown in `result`. */
function parseData(editor: HTMLTextAreaElement | undefined, result: HTMLElement): Json | undefined | typeof INVALID {
  const text = editor?.value.trim() ?? '';
  if (text === '') return undefined;
  try {
    return JSON.parse(text) as Json;
  } catch (error) {
    replace(
      result,
      h('p', { class: 'outcome outcome-error' }, `The data is not valid JSON: ${(error as Error).message}`),
    );
    return INVALID;
  }
}

function showAnswer(result: HTMLElement, connection: PageConnection, { frame, roundTripMs }: Answer): void {
  const timing = `${roundTripMs.toFixed(1)} ms on connection ${connection.name}`;
  if (frame.type === 'error') {
    const errors = Array.isArray(frame.errors) ? frame.errors : [];
    replace(
      result,
      h(
        'p',
        { class: 'outcome outcome-error' },
        h('strong', {}, asText(frame.code)),
        ` ${asText(frame.message)} `,
        h('span', { class: 'rtt' }, `(${timing})`),
      ),
      errors.length === 0
        ? null
        : h(
            'ul',
            { class: 'field-errors', attrs: { 'aria-label': 'Field errors' } },
            ...errors.map((entry) => {
              const { path, messages } = (entry ?? {}) as { path?: Json; messages?: Json };
              return h(
                'li',
                {},
                h('code', { class: 'field-path' }, typeof path === 'string' && path !== '' ? path : '(data)'),
                ': ',
                Array.isArray(messages) ? messages.map(asText).join('; ') : asText(messages),
              );
            }),
          ),
      h('pre', {}, pretty(frame)),
    );
    return;
  }
  const outcome = asText(frame.type === 'action' ? (frame.status ?? 'completed') : frame.type);
  replace(
    result,
    h('p', { class: 'outcome outcome-ok' }, h('strong', {}, outcome), ' ', h('span', { class: 'rtt' }, `(${timing})`)),
    h('pre', { class: 'reply' }, pretty(frame)),
  );
}

function publication(from: PageConnection, data: Json | undefined): HTMLLIElement {
  return h(
    'li',
    {},
    h('span', { class: 'muted' }, `${new Date().toLocaleTimeString([], { hour12: false })} on ${from.name}: `),
    h('code', {}, JSON.stringify(data) ?? 'undefined'),
  );
}

function firstLine(text: string): string {
  const line = text.split('\n', 1)[0];
  return line.length > 100 ? `${line.slice(0, 99)}…` : line;
}
