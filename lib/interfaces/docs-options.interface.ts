/**
 * The generated documentation: an AsyncAPI 3.0 document of every action and channel, and an
 * interactive page that reads it (`forRoot({ docs: true })` or `{ docs: {...} }`).
 */
export interface SocketApiDocsOptions {
  /**
   * Route of the page on the app's HTTP server; the document is served at `{path}/asyncapi.json`.
   * @default '/socket-docs'
   */
  path?: string;
  /**
   * When set, the document is given only to requests with `Authorization: Bearer <token>` (compared
   * in constant time); the page asks for the token and sends it so.
   * @default undefined (whoever reaches the server may read the docs)
   */
  token?: string;
  /**
   * The document's `info.title`.
   * @default 'SocketAPI'
   */
  title?: string;
  /**
   * The document's `info.version`: the version of your API, not of this library.
   * @default '1.0.0'
   */
  version?: string;
  /**
   * The document's `info.description` (CommonMark).
   * @default undefined
   */
  description?: string;
}
