/**
 * Reads the AsyncAPI 3.0 document the server serves (lib/docs/ builds it; the layout is the one the
 * `x-socketapi-*` extensions name) into what the page shows: actions and channels by tag, with the
 * schemas of their `data`, their replies or publications, and how a browser authenticates.
 */
export type Json = null | boolean | number | string | Json[] | { [key: string]: Json };
export type JsonObject = { [key: string]: Json };

export interface ActionDoc {
  kind: 'action';
  name: string;
  tag: string;
  description?: string;
  deprecated: boolean;
  /** The schema of the request's `data`. */
  data?: JsonObject;
  /** The schema of the reply's `data`. */
  reply?: JsonObject;
  /** `data` of the first example request, if the document has one. */
  example?: Json;
}

export interface ChannelDoc {
  kind: 'channel';
  name: string;
  tag: string;
  description?: string;
  deprecated: boolean;
  /** The schema of a subscribe's `data` (the channel's parameters). */
  data?: JsonObject;
  /** The schema of a publication's `data`. */
  payload?: JsonObject;
  example?: Json;
}

export type HandlerDoc = ActionDoc | ChannelDoc;

/** How the page passes a connection's token, from the document's security schemes. */
export type SocketAuth = { kind: 'query'; name: string } | { kind: 'subprotocol'; protocol: string } | { kind: 'none' };

export interface ApiDocument {
  title: string;
  version: string;
  description?: string;
  /** The socket's path on the server (`servers.socketapi.pathname`). */
  socketPath: string;
  auth: SocketAuth;
  groups: Map<string, HandlerDoc[]>;
  resolver: Resolver;
}

/** A JSON value as text: a string as itself, anything else as JSON. */
export function asText(value: unknown): string {
  return typeof value === 'string' ? value : (JSON.stringify(value) ?? String(value));
}

export function isObject(value: Json | undefined): value is JsonObject {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

/** Follows local `$ref`s (`#/a/b~1c`) in the document. */
export class Resolver {
  constructor(private readonly root: JsonObject) {}

  /** The value at a JSON pointer, or undefined. */
  at(ref: string): Json | undefined {
    if (!ref.startsWith('#')) return undefined;
    let value: Json | undefined = this.root;
    for (const raw of ref.slice(1).split('/').slice(1)) {
      const key = decodeURIComponent(raw).replace(/~1/g, '/').replace(/~0/g, '~');
      if (Array.isArray(value)) value = value[Number(key)];
      else value = isObject(value) ? value[key] : undefined;
    }
    return value;
  }

  /** The value itself, its `$ref` chain followed (a cycle or a dangling reference gives undefined). */
  deref(value: Json | undefined): Json | undefined {
    const seen = new Set<string>();
    while (isObject(value) && typeof value.$ref === 'string') {
      if (seen.has(value.$ref)) return undefined;
      seen.add(value.$ref);
      value = this.at(value.$ref);
    }
    return value;
  }

  /** The object at `value`, dereferenced, or undefined when it is not one. */
  object(value: Json | undefined): JsonObject | undefined {
    const resolved = this.deref(value);
    return isObject(resolved) ? resolved : undefined;
  }
}

const UNTAGGED = 'Other';

export function readDocument(root: JsonObject): ApiDocument {
  const resolver = new Resolver(root);
  const info = resolver.object(root.info) ?? {};
  const server = resolver.object(resolver.object(root.servers)?.socketapi) ?? {};
  const components = resolver.object(root.components) ?? {};
  const errorMessage = resolver.object(resolver.object(components.messages)?.error);
  const groups = new Map<string, HandlerDoc[]>();
  const channels = new Map<string, ChannelDoc>();
  const add = (handler: HandlerDoc) => {
    const group = groups.get(handler.tag) ?? [];
    group.push(handler);
    groups.set(handler.tag, group);
  };

  for (const value of Object.values(resolver.object(root.operations) ?? {})) {
    const operation = resolver.object(value);
    if (!operation) continue;
    const kind = operation['x-socketapi-kind'];
    const name = operation['x-socketapi-name'];
    if (typeof name !== 'string') continue;
    const message = firstMessage(resolver, operation.messages, errorMessage);
    const tags = Array.isArray(operation.tags) ? operation.tags.map((tag) => resolver.object(tag)?.name) : [];
    const tag = typeof tags[0] === 'string' ? tags[0] : UNTAGGED;
    const description = text(operation.description) ?? text(operation.summary) ?? text(message?.description);
    const deprecated = operation['x-deprecated'] === true || message?.['x-deprecated'] === true;
    if (kind === 'action') {
      const reply = resolver.object(operation.reply);
      add({
        kind: 'action',
        name,
        tag,
        description,
        deprecated,
        data: dataSchema(resolver, message),
        reply: dataSchema(resolver, firstMessage(resolver, reply?.messages, errorMessage)),
        example: exampleData(resolver, message),
      });
      continue;
    }
    if (kind !== 'subscribe' && kind !== 'unsubscribe' && kind !== 'publication') continue;
    let channel = channels.get(name);
    if (!channel) {
      channel = { kind: 'channel', name, tag, deprecated: false };
      channels.set(name, channel);
      add(channel);
    }
    channel.deprecated ||= deprecated;
    channel.description ??= description;
    if (kind === 'subscribe') {
      channel.data = dataSchema(resolver, message);
      channel.example = exampleData(resolver, message);
    }
    if (kind === 'publication') channel.payload = dataSchema(resolver, message);
  }

  return {
    title: text(info.title) ?? 'SocketAPI',
    version: text(info.version) ?? '',
    description: text(info.description),
    socketPath: text(server.pathname) ?? '/',
    auth: socketAuth(resolver, resolver.object(components.securitySchemes) ?? {}),
    groups,
    resolver,
  };
}

function text(value: Json | undefined): string | undefined {
  return typeof value === 'string' && value !== '' ? value : undefined;
}

/** The first message of a list that is not the shared `error` message. */
function firstMessage(
  resolver: Resolver,
  messages: Json | undefined,
  errorMessage: JsonObject | undefined,
): JsonObject | undefined {
  const list = Array.isArray(messages) ? messages : isObject(messages) ? Object.values(messages) : [];
  for (const entry of list) {
    const message = resolver.object(entry);
    if (message && message !== errorMessage) return message;
  }
  return undefined;
}

/** Messages are whole frames: the schema of their `data` is `payload.properties.data`. */
function dataSchema(resolver: Resolver, message: JsonObject | undefined): JsonObject | undefined {
  const payload = resolver.object(message?.payload);
  return resolver.object(resolver.object(payload?.properties)?.data);
}

function exampleData(resolver: Resolver, message: JsonObject | undefined): Json | undefined {
  const examples = message?.examples;
  if (!Array.isArray(examples)) return undefined;
  for (const example of examples) {
    const payload = resolver.object(resolver.object(example)?.payload);
    if (payload && 'data' in payload) return payload.data;
  }
  return undefined;
}

/**
 * A browser's WebSocket can carry a token in the URL's query or in the subprotocol list (it cannot
 * set headers): the first `httpApiKey` scheme `in: 'query'`, else an `http` bearer scheme the
 * server reads from the subprotocol (`x-socketapi-subprotocol`).
 */
function socketAuth(resolver: Resolver, schemes: JsonObject): SocketAuth {
  const all = Object.values(schemes)
    .map((scheme) => resolver.object(scheme))
    .filter((scheme): scheme is JsonObject => scheme !== undefined);
  // The subprotocol first: a token in the URL ends up in access logs and proxies' logs.
  const bearer = all.find((scheme) => scheme.type === 'http' && typeof scheme['x-socketapi-subprotocol'] === 'string');
  const protocol = bearer?.['x-socketapi-subprotocol'];
  if (typeof protocol === 'string') return { kind: 'subprotocol', protocol };
  const query = all.find((scheme) => scheme.type === 'httpApiKey' && scheme.in === 'query');
  if (query && typeof query.name === 'string') return { kind: 'query', name: query.name };
  return { kind: 'none' };
}
