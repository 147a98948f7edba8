import type { SocketHandlerOptions } from '../interfaces/socket-action-options.interface.js';
import type { SocketChannelOptions } from '../interfaces/socket-channel-options.interface.js';
import type { RegisteredChannel, RegisteredHandler } from '../registry/socket-api.registry.js';
import type {
  AsyncApiChannel,
  AsyncApiMessage,
  AsyncApiMessageExample,
  AsyncApiOperation,
  AsyncApiReference,
  JsonSchema,
  SocketOperationKind,
} from './asyncapi-document.js';
import { documentedChannelName } from './asyncapi-channel-name.js';
import {
  actionReplyFrame,
  channelFrame,
  CORRELATION_ID,
  dataFrame,
  presenceEventFrame,
  presenceReplyFrame,
  presenceRequestFrame,
  requestFrame,
  withOffset,
  withRecover,
  withStreamPosition,
} from './asyncapi-frames.js';
import type { AsyncApiIds } from './asyncapi-ids.js';
import type { DocumentSchemas } from './document-schemas.js';

/** The key of the shared error message under `components.messages`. */
export const ERROR_MESSAGE = 'error';

/** Where the builder puts each handler's channel and operations. */
export interface HandlerSections {
  channels: Record<string, AsyncApiChannel>;
  operations: Record<string, AsyncApiOperation>;
  ids: AsyncApiIds;
  schemas: DocumentSchemas;
}

/**
 * An action: a channel (address: its name) holding the request, the reply and the error message,
 * and a `receive` operation whose reply is the reply or the error, on the same channel.
 */
export function describeAction(sections: HandlerSections, action: RegisteredHandler): void {
  const { name } = action.target;
  const { options } = action;
  const channelKey = sections.ids.take(`action.${name}`);
  const examples = options.examples ?? [];
  sections.channels[channelKey] = {
    ...channelOf('action', name, options),
    messages: {
      request: message(`${name}.request`, options, requestFrame('action', name, sections.schemas.dataOf(action)), {
        correlated: true,
        examples: examples.map(({ name: id, summary, data }) =>
          example(id, summary, { type: 'action', channel: name, id: 1, ...present({ data }) }),
        ),
      }),
      reply: message(
        `${name}.reply`,
        options,
        actionReplyFrame(name, sections.schemas.valueOf(options.reply, action)),
        {
          correlated: true,
          projected: action.toWire !== undefined,
          examples: examples
            .filter((item) => item.reply !== undefined)
            .map(({ name: id, summary, reply }) =>
              example(id, summary, { type: 'action', channel: name, status: 'completed', id: 1, data: reply }),
            ),
        },
      ),
      [ERROR_MESSAGE]: { $ref: `#/components/messages/${ERROR_MESSAGE}` },
    },
  };
  sections.operations[channelKey] = operation('action', name, channelKey, options, 'receive', ['request'], ['reply']);
}

/**
 * A channel: one channel (address: its name) holding subscribe, subscribed, unsubscribe,
 * unsubscribed, the publication and the error message; `receive` operations for subscribe and
 * unsubscribe with their replies, and a `send` operation for publications.
 */
export function describeChannel(sections: HandlerSections, channel: RegisteredChannel): void {
  const { name } = channel.target;
  const { options } = channel;
  const channelKey = sections.ids.take(`channel.${name}`);
  const examples = options.examples ?? [];
  // History: `recover` on subscribe, the position on subscribed, the offset on publications.
  const history = options.history !== undefined;
  const subscribeFrame = requestFrame('subscribe', name, sections.schemas.dataOf(channel));
  const subscribedFrame = channelFrame('subscribed', name);
  const publicationFrame = dataFrame(name, sections.schemas.valueOf(options.payload, channel));
  sections.channels[channelKey] = {
    ...channelOf('channel', name, options),
    ...streamExtensions(options),
    messages: {
      subscribe: message(`${name}.subscribe`, options, history ? withRecover(subscribeFrame) : subscribeFrame, {
        correlated: true,
        examples: examples.map(({ name: id, summary, data }) =>
          example(id, summary, { type: 'subscribe', channel: name, id: 1, ...present({ data }) }),
        ),
      }),
      subscribed: message(
        `${name}.subscribed`,
        options,
        history ? withStreamPosition(subscribedFrame) : subscribedFrame,
        { correlated: true },
      ),
      unsubscribe: message(`${name}.unsubscribe`, options, channelFrame('unsubscribe', name), { correlated: true }),
      unsubscribed: message(`${name}.unsubscribed`, options, channelFrame('unsubscribed', name), { correlated: true }),
      publication: message(
        `${name}.publication`,
        options,
        history ? withOffset(publicationFrame, options.initialData !== true) : publicationFrame,
        {
          correlated: false,
          projected: channel.toWire !== undefined,
          examples: examples
            .filter((item) => item.payload !== undefined)
            .map(({ name: id, summary, payload }) =>
              example(id, summary, { type: 'data', channel: name, data: payload, ...(history ? { offset: 1 } : {}) }),
            ),
        },
      ),
      ...presenceMessages(name, options),
      [ERROR_MESSAGE]: { $ref: `#/components/messages/${ERROR_MESSAGE}` },
    },
  };
  const operations = sections.operations;
  operations[`${channelKey}.subscribe`] = operation(
    'subscribe',
    name,
    channelKey,
    options,
    'receive',
    ['subscribe'],
    ['subscribed'],
  );
  operations[`${channelKey}.unsubscribe`] = operation(
    'unsubscribe',
    name,
    channelKey,
    options,
    'receive',
    ['unsubscribe'],
    ['unsubscribed'],
  );
  operations[`${channelKey}.publication`] = operation('publication', name, channelKey, options, 'send', [
    'publication',
  ]);
  const presence = presenceOptions(options);
  if (presence === undefined) return;
  operations[`${channelKey}.presence`] = operation(
    'presence',
    name,
    channelKey,
    options,
    'receive',
    ['presence'],
    ['presenceReply'],
  );
  if (!presence.joinLeave) return;
  operations[`${channelKey}.join`] = operation('join', name, channelKey, options, 'send', ['join']);
  operations[`${channelKey}.leave`] = operation('leave', name, channelKey, options, 'send', ['leave']);
}

/** `presence: true` is presence without join/leave frames. */
function presenceOptions(options: SocketChannelOptions): { joinLeave: boolean } | undefined {
  const { presence } = options;
  if (presence === undefined) return undefined;
  return { joinLeave: presence !== true && presence.joinLeave === true };
}

/** The channel's history and presence, as extensions (tools that do not know them ignore them). */
function streamExtensions(options: SocketChannelOptions) {
  const presence = presenceOptions(options);
  return {
    ...(options.history ? { 'x-socketapi-history': { size: options.history.size, ttl: options.history.ttl } } : {}),
    ...(presence ? { 'x-socketapi-presence': presence } : {}),
  };
}

/** A presence channel's query and its reply, and its `join`/`leave` frames when it sends them. */
function presenceMessages(name: string, options: SocketChannelOptions): Record<string, AsyncApiMessage> {
  const presence = presenceOptions(options);
  if (presence === undefined) return {};
  const messages: Record<string, AsyncApiMessage> = {
    presence: message(`${name}.presence`, options, presenceRequestFrame(name), { correlated: true }),
    presenceReply: message(`${name}.presenceReply`, options, presenceReplyFrame(name), { correlated: true }),
  };
  if (presence.joinLeave) {
    messages.join = message(`${name}.join`, options, presenceEventFrame('join', name), { correlated: false });
    messages.leave = message(`${name}.leave`, options, presenceEventFrame('leave', name), { correlated: false });
  }
  return messages;
}

function channelOf(kind: 'action' | 'channel', name: string, options: SocketHandlerOptions) {
  // `{` and `}` in an address declare parameters: a name with them has no address the spec can state
  // (null); a pattern's `:param` segments become its parameters (`rooms/{roomId}`).
  const { address, params } =
    kind === 'channel' ? documentedChannelName(name) : { address: /[{}]/.test(name) ? null : name, params: [] };
  return {
    address,
    title: name,
    ...(params.length > 0 && address !== null
      ? {
          parameters: Object.fromEntries(
            params.map((param) => [param, { description: `One segment of the channel's name (no \`/\`).` }]),
          ),
        }
      : {}),
    ...present({ summary: options.summary, description: options.description }),
    'x-socketapi-kind': kind,
    'x-socketapi-name': name,
  } as const;
}

function message(
  name: string,
  options: SocketHandlerOptions,
  payload: JsonSchema,
  extra: { correlated: boolean; projected?: boolean; examples?: AsyncApiMessageExample[] },
): AsyncApiMessage {
  return {
    name,
    title: name,
    contentType: 'application/json',
    payload,
    ...(extra.correlated ? { correlationId: CORRELATION_ID } : {}),
    ...(extra.examples?.length ? { examples: extra.examples } : {}),
    ...(options.deprecated ? { 'x-deprecated': true } : {}),
    ...(extra.projected ? { 'x-socketapi-projected': true } : {}),
  };
}

function operation(
  kind: SocketOperationKind,
  name: string,
  channelKey: string,
  options: SocketHandlerOptions,
  action: 'send' | 'receive',
  messages: string[],
  replies?: string[],
): AsyncApiOperation {
  const channel = { $ref: `#/channels/${channelKey}` };
  const refs = (keys: string[]): AsyncApiReference[] =>
    keys.map((key) => ({ $ref: `#/channels/${channelKey}/messages/${key}` }));
  return {
    action,
    channel,
    title: `${name} (${kind})`,
    ...present({ summary: options.summary, description: options.description }),
    ...(options.tags?.length ? { tags: options.tags.map((tag) => ({ name: tag })) } : {}),
    messages: refs(messages),
    ...(replies ? { reply: { channel, messages: refs([...replies, ERROR_MESSAGE]) } } : {}),
    'x-socketapi-kind': kind,
    'x-socketapi-name': name,
    ...(options.deprecated ? { 'x-deprecated': true } : {}),
  };
}

function example(name: string | undefined, summary: string | undefined, payload: Record<string, unknown>) {
  return { ...present({ name, summary }), payload };
}

/** The entries whose value is not `undefined`: optional fields are left out of the document, not `undefined`. */
function present<T extends Record<string, unknown>>(fields: T): Partial<T> {
  return Object.fromEntries(Object.entries(fields).filter(([, value]) => value !== undefined)) as Partial<T>;
}
