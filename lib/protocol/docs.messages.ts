import type { CloseCode } from './close-codes.js';
import type { ErrorCode } from './error-codes.js';

/**
 * What the generated AsyncAPI document says on the library's behalf (PROTOCOL.md, in short): the
 * meaning of every error code and close code, and the security schemes of the built-in
 * authenticators. Typed by the codes, so that a code added to `ErrorCode` or `CloseCode` without a
 * description here does not compile.
 */
/** Errors of the document's API, for the developer who calls it. */
export const DocsMessage = {
  notStarted:
    'The AsyncAPI document was asked for before the app was initialized, when its handlers are not known yet: ' +
    'call createSocketApiDocument(app) after `await app.init()` (or `app.listen()`).',
} as const;

/** What the `nestjs-socketapi-contract` command says. */
export const ContractMessage = {
  usage:
    'Usage: nestjs-socketapi-contract --module <compiled module file> [--export AppModule] [--out api-contract.ts]\n' +
    '  [--type-name ApiContract] [--check]\n' +
    "Writes the app's typed-client contract (TypeScript); with --check, writes nothing and fails when --out differs.",
  noExport: (name: string, file: string) => `${file} exports no module named ${name} (see --export).`,
  noModuleFile: (file: string) =>
    `${file} does not exist (--module: the compiled module file, e.g. dist/app.module.js).`,
  noSocketApiModule: (name: string) =>
    `${name} does not import SocketApiModule: it has no handlers to write a contract of.`,
  badTypeName: (name: string) =>
    `'${name}' cannot name the contract type: it must be an identifier TypeScript lets a type have.`,
  failed: (file: string, reason: string) => `No contract written for ${file}: ${reason}`,
  closeFailed: (reason: string) => `The app did not close cleanly: ${reason}`,
  written: (file: string) => `Contract written to ${file}.`,
  upToDate: (file: string) => `${file} is up to date.`,
  stale: (file: string) =>
    `${file} is not the contract of the app's handlers: run the command without --check to regenerate it.`,
} as const;

export const ErrorCodeDescription: Record<ErrorCode, string> = {
  INVALID_MESSAGE:
    'The frame is not a JSON object, or its `type`, `channel` or `id` is missing or wrong, or its `data` is nested too deeply.',
  UNKNOWN_TYPE:
    'The `type` is none of `action`, `subscribe`, `unsubscribe`, `ping`, `contract`, `presence` (and `auth` when renewal is on).',
  ACTION_NOT_FOUND: 'No action has that name.',
  CHANNEL_NOT_FOUND: 'No channel has that name.',
  VALIDATION_ERROR:
    "The `data` does not fit the handler's parameters; `errors` lists each failing property by its dotted `path`.",
  FORBIDDEN: 'A guard refused the message, or a renewal carried credentials of another subject.',
  BAD_REQUEST: "The handler refused the request (an HttpException of status 400, or the application's own).",
  INTERNAL_ERROR: 'The handler failed unexpectedly, or its result cannot be sent as JSON (logged on the server).',
  RATE_LIMITED: 'Too many messages (rate limit or queue limit), or a renewal while another is being checked.',
  TOO_MANY_SUBSCRIPTIONS: 'The connection is subscribed to as many channels as the server allows.',
  UNAUTHORIZED: "A renewal's credentials were refused or have expired.",
  TOKEN_EXPIRED: "The connection's credentials expired; the server closes it (1008) right after.",
  // issue 12
  PRESENCE_DISABLED: '`presence` asked of a channel declared without presence.',
  NOT_SUBSCRIBED: '`presence` asked of a presence channel the connection is not subscribed to.',
  UNAVAILABLE:
    "The store shared by the server's instances cannot be reached (a history channel's subscribe, a presence query, or an action whose history publication failed); retry later.",
};

/** Applications add codes of their own (`SocketApiException`, or derived from an `HttpException`'s status). */
export const APPLICATION_ERROR_CODES =
  "A code of the application: a `SocketApiException`'s own, or derived from an `HttpException`'s status (404 `NOT_FOUND`, …).";

export const ERROR_MESSAGE_DESCRIPTION =
  'Every failure: `code` and `message` always; `channel` and `id` when the failing message had them; `errors` for ' +
  'validation failures. The connection stays open.';

export const CloseCodeDescription: Record<keyof typeof CloseCode, string> = {
  NORMAL: 'Normal close; also `Idle timeout` after `idleTimeoutMs` without a message.',
  GOING_AWAY: 'The server is shutting down (`Server shutting down`), after in-flight messages were answered.',
  POLICY_VIOLATION:
    'Repeated rate-limit abuse (`Rate limit exceeded`, `Too many requests.`), expired credentials (`Token expired`), or too many fragments.',
  MESSAGE_TOO_BIG: "A frame larger than the server's `maxPayload`.",
  INTERNAL_ERROR: 'An unexpected server error.',
  TRY_AGAIN_LATER: "The client reads too slowly (`Slow consumer`): its send buffer passed the server's limit.",
};

export const SecuritySchemeDescription = {
  jwtBearer:
    'A JSON Web Token in the `Authorization: Bearer <token>` header of the upgrade request; a browser, which cannot set headers, offers it as a subprotocol instead: `new WebSocket(url, [\'bearer\', token])`. Renew it in-band with `{"type":"auth","data":{"token":"<new token>"}}`.',
  jwtQuery: (name: string) =>
    `A JSON Web Token in the \`${name}\` query parameter of the socket URL (it then appears in access logs: prefer the header or the subprotocol).`,
  apiKeyHeader: (name: string) => `An API key in the \`${name}\` header of the upgrade request.`,
  apiKeyQuery: (name: string) =>
    `An API key in the \`${name}\` query parameter of the socket URL (it then appears in access logs: prefer the header where clients can set one).`,
  custom:
    "The server authenticates each connection with an authenticator of its own, which does not describe how to send credentials: see the API's own documentation.",
} as const;

export const SERVER_DESCRIPTION =
  'One WebSocket carrying JSON text frames (SocketAPI protocol). Each channel of this document is an action or a ' +
  'pub/sub channel, multiplexed on the socket by the `channel` field of the frames (its `address`).';
