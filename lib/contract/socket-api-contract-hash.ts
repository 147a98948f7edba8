import { Injectable } from '@nestjs/common';
import { AsyncApiDocumentFactory } from '../docs/asyncapi-document.factory.js';
import type { ContractHashSource } from '../interfaces/contract-hash-source.interface.js';
import { contractHash } from './contract-hash.js';
import { contractSchemasOf } from './contract-schemas.js';

/**
 * The hash of the running app's contract, which the server tells a client that asks (`contract`
 * frame). Computed once, at the first question (after startup: the document needs every handler),
 * rather than at every startup: most apps are never asked, and the document costs a few milliseconds
 * per hundred handlers. The same as `createSocketApiContract` writes into the generated file.
 */
@Injectable()
export class SocketApiContractHash implements ContractHashSource {
  private computed?: string;

  constructor(private readonly documents: AsyncApiDocumentFactory) {}

  get hash(): string {
    // The server's location is not part of the handlers' schemas: any will do.
    return (this.computed ??= contractHash(contractSchemasOf(this.documents.documentFor(LOCATION))));
  }
}

const LOCATION = { host: 'localhost', protocol: 'ws' } as const;
