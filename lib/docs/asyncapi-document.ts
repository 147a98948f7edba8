/**
 * The AsyncAPI 3.0.0 document the library emits, typed as far as it goes: only the parts of the
 * specification that it writes (docs/asyncapi.md describes the layout for tool authors). Written here
 * rather than taken from `@asyncapi/parser`, whose types come with the parser itself: a dependency
 * of every app for a handful of interfaces.
 */

import type { JsonSchema } from '../schema/json-schema.js';

export type { JsonSchema };

export interface AsyncApiReference {
  $ref: string;
}

/** What `x-socketapi-kind` says an operation is. */
export type SocketOperationKind =
  | 'action'
  | 'subscribe'
  | 'unsubscribe'
  | 'publication'
  // issue 12: presence channels
  | 'presence'
  | 'join'
  | 'leave';

export interface AsyncApiInfo {
  title: string;
  version: string;
  description?: string;
}

export interface AsyncApiServer {
  /** `host[:port]`. */
  host: string;
  protocol: 'ws' | 'wss';
  /** The socket's path (the `path` option). */
  pathname: string;
  description?: string;
  /** Alternatives: a client needs any one of them. */
  security?: AsyncApiReference[];
  /** Every WebSocket close code the server uses, and when. */
  'x-socketapi-close-codes': Record<string, string>;
}

export interface AsyncApiTag {
  name: string;
}

export interface AsyncApiMessageExample {
  name?: string;
  summary?: string;
  /** A whole frame, as on the wire. */
  payload: Record<string, unknown>;
}

export interface AsyncApiMessage {
  name: string;
  title?: string;
  summary?: string;
  description?: string;
  contentType: 'application/json';
  /** The whole frame; the handler's own part is `properties.data`. */
  payload: JsonSchema;
  correlationId?: { location: string; description?: string };
  examples?: AsyncApiMessageExample[];
  'x-deprecated'?: true;
  /**
   * On a reply or publication whose handler projects what it sends to its declared type
   * (`outputValidation` 'error' or 'warn'): `data` holds only the properties the schema lists.
   */
  'x-socketapi-projected'?: true;
  /** On the `error` message: every code of the library, and what it means. */
  'x-socketapi-error-codes'?: Record<string, string>;
}

export interface AsyncApiChannel {
  /** The `channel` field of the frames: the action's or channel's name. */
  address: string | null;
  title?: string;
  summary?: string;
  description?: string;
  messages: Record<string, AsyncApiMessage | AsyncApiReference>;
  /** A pattern channel's parameters (`rooms/{roomId}`): each one path segment of the concrete name. */
  parameters?: Record<string, { description: string; examples?: string[] }>;
  'x-socketapi-kind': 'action' | 'channel';
  'x-socketapi-name': string;
  /** A channel with history: publications kept, and for how long (ms) after the last one. */
  'x-socketapi-history'?: { size: number; ttl: number };
  /** A channel with presence: whether `join`/`leave` frames are sent to the other subscribers. */
  'x-socketapi-presence'?: { joinLeave: boolean };
}

export interface AsyncApiOperation {
  action: 'send' | 'receive';
  channel: AsyncApiReference;
  title?: string;
  summary?: string;
  description?: string;
  tags?: AsyncApiTag[];
  messages: AsyncApiReference[];
  reply?: { channel: AsyncApiReference; messages: AsyncApiReference[] };
  'x-socketapi-kind': SocketOperationKind;
  'x-socketapi-name': string;
  'x-deprecated'?: true;
}

export type AsyncApiSecurityScheme =
  | {
      type: 'http';
      scheme: string;
      bearerFormat?: string;
      description?: string;
      'x-socketapi-subprotocol'?: string;
    }
  | { type: 'httpApiKey'; in: 'header' | 'query' | 'cookie'; name: string; description?: string };

export interface AsyncApiDocument {
  asyncapi: '3.0.0';
  info: AsyncApiInfo;
  defaultContentType: 'application/json';
  servers: { socketapi: AsyncApiServer };
  channels: Record<string, AsyncApiChannel>;
  operations: Record<string, AsyncApiOperation>;
  components: {
    schemas: Record<string, JsonSchema>;
    messages: Record<string, AsyncApiMessage>;
    securitySchemes?: Record<string, AsyncApiSecurityScheme>;
  };
}

/** Where the document says the server is: the request's host, or what a build script gives. */
export interface AsyncApiServerLocation {
  /** `host[:port]`. */
  host: string;
  protocol: 'ws' | 'wss';
}
