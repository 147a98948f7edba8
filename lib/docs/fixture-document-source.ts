// TEMPORARY (not to be committed): stands for wip/asyncapi's builder while it does not exist.
import { readFileSync } from 'node:fs';
import { Injectable } from '@nestjs/common';
import { DocsDocumentSource } from './docs-document-source.js';

@Injectable()
export class FixtureDocumentSource extends DocsDocumentSource {
  documentFor(host: string, protocol: 'ws' | 'wss'): object {
    const document = JSON.parse(readFileSync('/tmp/pagedev/sample-asyncapi.json', 'utf8')) as {
      servers: { socketapi: Record<string, unknown> };
    };
    Object.assign(document.servers.socketapi, { host, protocol });
    return document;
  }
}
