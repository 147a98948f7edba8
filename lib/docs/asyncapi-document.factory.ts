import { Inject, Injectable, type OnApplicationBootstrap } from '@nestjs/common';
import { DEFAULTS } from '../options/defaults.js';
import { RESOLVED_SOCKET_API_OPTIONS, type ResolvedSocketApiOptions } from '../options/resolved-options.js';
import { CloseCode } from '../protocol/close-codes.js';
import {
  APPLICATION_ERROR_CODES,
  CloseCodeDescription,
  DocsMessage,
  ERROR_MESSAGE_DESCRIPTION,
  ErrorCodeDescription,
  SERVER_DESCRIPTION,
} from '../protocol/docs.messages.js';
import { ErrorCode } from '../protocol/error-codes.js';
import { SocketApiRegistry } from '../registry/socket-api.registry.js';
import type { AsyncApiDocument, AsyncApiMessage, AsyncApiServerLocation } from './asyncapi-document.js';
import { CORRELATION_ID, errorFrame } from './asyncapi-frames.js';
import { describeAction, describeChannel, ERROR_MESSAGE, type HandlerSections } from './asyncapi-handlers.js';
import { AsyncApiIds } from './asyncapi-ids.js';
import { documentSecurity } from './asyncapi-security.js';
import { DocumentSchemas } from './document-schemas.js';

/**
 * The app's AsyncAPI 3.0.0 document, built from the registry (every action and channel with its
 * decorator's options), the DTOs' class-validator rules and the module options. Built once, at
 * first use (after startup: the registry is filled as the module initializes), then handed out as
 * copies with the server where the caller says it is.
 */
@Injectable()
export class AsyncApiDocumentFactory implements OnApplicationBootstrap {
  private built?: AsyncApiDocument;
  /** Set once every module has initialized, the registry's included: before, the document would miss handlers. */
  private started = false;

  constructor(
    private readonly registry: SocketApiRegistry,
    @Inject(RESOLVED_SOCKET_API_OPTIONS) private readonly options: ResolvedSocketApiOptions,
  ) {}

  onApplicationBootstrap(): void {
    this.started = true;
  }

  /** The document with `servers.socketapi` at `location` (e.g. the Host of the request for it): a copy of its own. */
  documentFor(location: AsyncApiServerLocation): AsyncApiDocument {
    if (!this.started) throw new Error(DocsMessage.notStarted);
    const document = structuredClone((this.built ??= this.build()));
    document.servers.socketapi.host = location.host;
    document.servers.socketapi.protocol = location.protocol;
    return document;
  }

  private build(): AsyncApiDocument {
    const { docs = DEFAULTS.docs, path, auth, validation } = this.options;
    const schemas = new DocumentSchemas(validation.validator, validation.transformer, validation.strictInput);
    const sections: HandlerSections = { channels: {}, operations: {}, ids: new AsyncApiIds(), schemas };
    for (const action of this.registry.actions.values()) describeAction(sections, action);
    for (const channel of this.registry.channels.values()) describeChannel(sections, channel);
    const security = documentSecurity(auth);
    return {
      asyncapi: '3.0.0',
      info: {
        title: docs.title,
        version: docs.version,
        ...('description' in docs && docs.description !== undefined ? { description: docs.description } : {}),
      },
      defaultContentType: 'application/json',
      servers: {
        socketapi: {
          host: 'localhost',
          protocol: 'ws',
          pathname: path,
          description: SERVER_DESCRIPTION,
          ...(security ? { security: security.requirements } : {}),
          'x-socketapi-close-codes': closeCodes(),
        },
      },
      channels: sections.channels,
      operations: sections.operations,
      components: {
        schemas: schemas.components,
        messages: { [ERROR_MESSAGE]: errorMessage() },
        ...(security ? { securitySchemes: security.schemes } : {}),
      },
    };
  }
}

function errorMessage(): AsyncApiMessage {
  return {
    name: ERROR_MESSAGE,
    title: ERROR_MESSAGE,
    description: ERROR_MESSAGE_DESCRIPTION,
    contentType: 'application/json',
    payload: errorFrame(Object.values(ErrorCode), APPLICATION_ERROR_CODES),
    correlationId: CORRELATION_ID,
    'x-socketapi-error-codes': { ...ErrorCodeDescription },
  };
}

function closeCodes(): Record<string, string> {
  return Object.fromEntries(
    Object.entries(CloseCode).map(([key, code]) => [String(code), CloseCodeDescription[key as keyof typeof CloseCode]]),
  );
}
