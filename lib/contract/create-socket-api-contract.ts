import type { INestApplicationContext } from '@nestjs/common';
import { createSocketApiDocument } from '../docs/create-socket-api-document.js';
import { contractHash } from './contract-hash.js';
import { contractSchemasOf } from './contract-schemas.js';
import { contractSource, type ContractSourceOptions } from './contract-source.js';

export type SocketApiContractOptions = ContractSourceOptions;

/**
 * The app's typed-client contract, as the text of a TypeScript module, for an app that has been
 * initialized (`await app.init()`; it need not listen): read from the app's AsyncAPI document (the
 * same schemas, one converter), with the hash the server tells clients that ask. For a build
 * script, or the `nestjs-socketapi-contract` command:
 *
 * ```ts
 * const app = await NestFactory.create(AppModule, { logger: false, abortOnError: false });
 * await app.init();
 * await writeFile('src/api-contract.ts', createSocketApiContract(app));
 * await app.close();
 * ```
 */
export function createSocketApiContract(app: INestApplicationContext, options: SocketApiContractOptions = {}): string {
  const schemas = contractSchemasOf(createSocketApiDocument(app));
  return contractSource(schemas, contractHash(schemas), options);
}
