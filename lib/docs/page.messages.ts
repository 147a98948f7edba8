/**
 * What the docs page's routes answer and log. Log lines may be reworded between versions; the
 * `error` strings of the HTTP answers are for people reading them, not for programs to match.
 */
export const PageMessage = {
  notFound: 'Not found',
  methodNotAllowed: 'Method not allowed: use GET or HEAD',
  unauthorized: 'This document needs `Authorization: Bearer <docs.token>`',
  internalError: 'Internal error',
  failed: 'Could not answer a docs request',
  noHttpServer: 'No HTTP server (application context): the docs page is not served.',
  served: (url: string) => `Docs page: ${url} (document at ${url}/asyncapi.json)`,
  bundleMissing: (tried: readonly string[]) =>
    `The docs page's script and style sheet were not found (looked in ${tried.join(', ')}): the page ` +
    'will not load. A packed nestjs-socketapi ships them; from a source checkout, run `npm run build:docs-ui`.',
} as const;
