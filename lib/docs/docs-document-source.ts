/**
 * What the docs route needs of the AsyncAPI document builder: the document, with the server's host
 * and protocol as the request reached it (the module binds this to the builder).
 */
export abstract class DocsDocumentSource {
  abstract documentFor(host: string, protocol: 'ws' | 'wss'): object;
}
