// The clients compared by the `client-*` scenarios, by the names results and reports use: shared by
// the runner (which must not load the client's build just to list scenarios) and the load generator.

/** The load generator's hand-written adapter of the protocol (lib/clients.mjs): the reference. */
export const HAND_WRITTEN = 'ws';
/** A client as an application would write it on `ws`, with ws's defaults (lib/plain-ws-client.mjs). */
export const PLAIN_WS = 'plain-ws';
/** The project's client package, built from client/src (lib/library-client.mjs). */
export const LIBRARY_CLIENT = 'nestjs-socketapi-client';
