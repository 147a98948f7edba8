import 'reflect-metadata';
import type { INestApplication, ModuleMetadata } from '@nestjs/common';
import { Ajv, type ErrorObject, type ValidateFunction } from 'ajv';
import addFormatsModule from 'ajv-formats';
import type { ValidatorOptions } from 'class-validator';
import WebSocket from 'ws';
import {
  createSocketApiDocument,
  SocketApiModule,
  type AsyncApiDocument,
  type AsyncApiMessage,
} from '../../lib/index.js';
import type { HandlerKind } from '../../lib/handlers/handler-target.js';
import { RESOLVED_SOCKET_API_OPTIONS, type ResolvedSocketApiOptions } from '../../lib/options/resolved-options.js';
import { SocketApiRegistry } from '../../lib/registry/socket-api.registry.js';
import type { JsonSchema, UnconstrainedRule } from '../../lib/schema/json-schema.js';
import { DATA_PARAM } from '../../lib/socket-api.constants.js';
import { AdminGuard } from '../../sample/auth/admin.guard.js';
import { ChatService } from '../../sample/chat/chat.service.js';
import { UsersService } from '../../sample/users/users.service.js';
import { resolve } from './asyncapi-invariants.js';
import { ZooService } from './fixtures/zoo.service.js';
import {
  dtoPropertyAt,
  failingRules,
  payloadCorpus,
  type CorpusEntry,
  type DataParam,
} from '../support/payload-corpus.js';
import { startApp, type TestApp } from '../support/test-app.js';

/*
 * "The docs never lie": for every handler, a generated corpus of `data` payloads (test/support/payload-corpus.ts)
 * is judged twice: by ajv, against the client frame the AsyncAPI document (`createSocketApiDocument`) describes
 * for the handler, and by the real server over a real socket (a success reply, or an error). The two verdicts
 * must agree on every payload, except where a difference is one of ACCEPTED_DIFFERENCES, each with the reason
 * JSON Schema cannot express it. The agreement rate is printed.
 */

const SEED = 20261202;
/** Frames in flight on the socket at once: enough to keep the server busy, well under its queue limits. */
const WINDOW = 256;

// ajv-formats is CommonJS: under ESM its default export is the module object.
const addFormats = addFormatsModule as unknown as typeof addFormatsModule.default;

interface HandlerSchema {
  /** The schema of the whole client frame (`{type, channel, id, data}`) that calls the handler. */
  frame: JsonSchema;
  /** Its `data` part, which the corpus is derived from; `$ref`s point at `#/components/schemas/<Name>`. */
  data: JsonSchema;
  components: Record<string, JsonSchema>;
  /** Rules the converter could not express: the document marks their properties `x-unconstrained`. */
  unconstrained: UnconstrainedRule[];
}

interface Handler {
  kind: HandlerKind;
  name: string;
  params: DataParam[];
  validator: ValidatorOptions;
}

/**
 * The one place the test reads what the docs say of a handler: the message of its `action` (or
 * `subscribe`) operation in the AsyncAPI document, as `{docsPath}/asyncapi.json` serves it.
 */
function schemaOfHandler(document: AsyncApiDocument, { kind, name }: Handler): HandlerSchema {
  const operationKind = kind === 'action' ? 'action' : 'subscribe';
  const operation = Object.values(document.operations).find(
    (candidate) => candidate['x-socketapi-kind'] === operationKind && candidate['x-socketapi-name'] === name,
  );
  if (!operation) throw new Error(`the document has no ${operationKind} operation for '${name}'`);
  const message = resolve(document, operation.messages[0].$ref) as AsyncApiMessage;
  const properties = message.payload.properties as Record<string, JsonSchema>;
  return {
    frame: message.payload,
    data: properties.data,
    components: document.components.schemas,
    unconstrained: unconstrainedRules(document.components.schemas),
  };
}

/** The rules each DTO's properties are marked `x-unconstrained` by (`"<decorator>: <reason>"`). */
function unconstrainedRules(schemas: Record<string, JsonSchema>): UnconstrainedRule[] {
  return Object.entries(schemas).flatMap(([name, schema]) =>
    Object.entries((schema.properties ?? {}) as Record<string, JsonSchema>).flatMap(([property, propertySchema]) =>
      ((propertySchema['x-unconstrained'] ?? []) as string[]).map((note) => {
        const [decorator, ...reason] = note.split(': ');
        return {
          className: (schema.title as string | undefined) ?? name,
          property,
          decorator,
          reason: reason.join(': '),
        };
      }),
    ),
  );
}

/** Every handler of the app, with its `@Data()` parameters and its class-validator options (module's + its own). */
function handlersOf(app: INestApplication): Handler[] {
  const registry = app.get(SocketApiRegistry);
  const options = app.get<ResolvedSocketApiOptions>(RESOLVED_SOCKET_API_OPTIONS);
  return [...registry.actions.values(), ...registry.channels.values()].map((handler) => ({
    kind: handler.target.kind,
    name: handler.target.name,
    params: handler.binder.params.filter((param) => param.kind === DATA_PARAM),
    validator: { ...options.validation.validator, ...handler.options.validation },
  }));
}

/** The client frame that sends `data` to the handler (without `data` when it is undefined). */
function frameOf({ kind, name }: Handler, data: unknown): Record<string, unknown> {
  return { type: kind === 'action' ? 'action' : 'subscribe', channel: name, ...(data === undefined ? {} : { data }) };
}

// ---------------------------------------------------------------------------------------------
// The two verdicts.

interface Verdict {
  accepts: boolean;
  /** The server's error code, if it answered with an error. */
  code?: string;
  /** Dotted paths of the properties the verdict is about (the failing ones), '' for the whole `data`. */
  paths: string[];
  /** The server's error code, or ajv's first messages. */
  detail: string;
}

/** The document's verdict on the frame: ajv with the frame's schema. */
function schemaVerdict(validate: ValidateFunction, frame: object): Verdict {
  const accepts = validate(frame) === true;
  const errors = validate.errors ?? [];
  return {
    accepts,
    paths: [...new Set(errors.map(errorPath))],
    detail: errors
      .slice(0, 3)
      .map((error) => `${error.instancePath || '/'} ${error.message ?? ''}`)
      .join('; '),
  };
}

/** The dotted path in `data` that an error of the frame is about. */
function errorPath(error: ErrorObject): string {
  const segments = error.instancePath.split('/').slice(2);
  const params = error.params as { missingProperty?: string; additionalProperty?: string };
  const leaf = params.missingProperty ?? params.additionalProperty;
  return (leaf === undefined ? segments : [...segments, leaf]).join('.');
}

interface ServerFrame {
  type: string;
  id?: number;
  code?: string;
  message?: string;
  errors?: Array<{ path: string; messages: string[] }>;
}

/**
 * Errors that judge the `data`: the binder's validation, and the envelope's (data nested too deeply). Any
 * other error (a handler that throws, a serialization failure) comes after validation passed: the server
 * accepted the data, and the failure is counted apart (see `handlerFailures`).
 */
const DATA_ERRORS = new Set(['VALIDATION_ERROR', 'INVALID_MESSAGE']);

function serverVerdict(reply: ServerFrame): Verdict {
  if (reply.type !== 'error') return { accepts: true, paths: [], detail: reply.type };
  const errors = reply.errors ?? [];
  return {
    accepts: !DATA_ERRORS.has(reply.code ?? ''),
    code: reply.code,
    paths: errors.map((error) => error.path),
    detail: `${reply.code}: ${errors.map((error) => error.messages.join(', ')).join('; ') || reply.message}`,
  };
}

/** Sends every request on one socket, WINDOW at a time, and returns the replies in the order of the requests. */
async function exchange(url: string, requests: object[]): Promise<ServerFrame[]> {
  const socket = new WebSocket(url);
  await new Promise((resolve, reject) => socket.once('open', resolve).once('error', reject));
  const replies = new Array<ServerFrame>(requests.length);
  try {
    await new Promise<void>((resolve, reject) => {
      let sent = 0;
      let received = 0;
      const sendMore = () => {
        while (sent < requests.length && sent - received < WINDOW) {
          socket.send(JSON.stringify({ ...requests[sent], id: sent }));
          sent++;
        }
      };
      socket.on('message', (raw) => {
        const frame = JSON.parse((raw as Buffer).toString()) as ServerFrame;
        if (typeof frame.id !== 'number') return; // a channel's initial data
        replies[frame.id] = frame;
        if (++received === requests.length) resolve();
        else sendMore();
      });
      socket.once('close', (code) => reject(new Error(`socket closed (${code}) after ${received} replies`)));
      sendMore();
    });
  } finally {
    socket.removeAllListeners('close');
    socket.close();
  }
  return replies;
}

// ---------------------------------------------------------------------------------------------
// Differences JSON Schema cannot express. Each is named and says why; it covers a disagreement only when
// the reason applies to every property the rejecting side names, and then tells which case it is.

interface Disagreement {
  handler: Handler;
  entry: CorpusEntry;
  schema: Verdict;
  server: Verdict;
  documented: HandlerSchema;
}

interface AcceptedDifference {
  name: string;
  reason: string;
  /** Which case of the difference this disagreement is (e.g. the decorator), or undefined if not covered. */
  explain(disagreement: Disagreement): string | undefined;
}

/**
 * The unconstrained rules that explain the server's refusal, or undefined if they do not explain all of
 * it: at every path the server names, the property must carry an `x-unconstrained` rule, and every rule
 * the value fails there (each called alone) must be one of those. A rule the converter applies only
 * under a condition it cannot write (`@ValidateIf`, a `@Type` conversion: reported with a leading `@`)
 * leaves all the property's rules to the server.
 */
function unconstrainedRulesRejecting({ handler, entry, server, documented }: Disagreement): string[] | undefined {
  if (server.paths.length === 0) return undefined;
  const decorators = new Set<string>();
  for (const path of server.paths) {
    const property = dtoPropertyAt(handler.params, path);
    const reported = documented.unconstrained
      .filter((rule) => rule.className === property?.type.name && rule.property === property.property)
      .map((rule) => rule.decorator);
    const failing = failingRules(handler.params, handler.validator, path, valueAtPath(entry.data, path)) ?? [];
    const conditional = reported.some((decorator) => decorator.startsWith('@'));
    if (
      reported.length === 0 ||
      (!conditional && (failing.length === 0 || failing.some((name) => !reported.includes(name))))
    ) {
      return undefined;
    }
    for (const decorator of conditional ? reported : failing) decorators.add(decorator);
  }
  return [...decorators].sort();
}

/** The value at a dotted `data` path, as the server names it. */
function valueAtPath(data: unknown, path: string): unknown {
  let value = data;
  for (const key of path.split('.').filter((segment) => segment !== '')) {
    value = typeof value === 'object' && value !== null ? (value as Record<string, unknown>)[key] : undefined;
  }
  return value;
}

const ACCEPTED_DIFFERENCES: AcceptedDifference[] = [
  {
    name: 'numeric string out of range',
    reason:
      'a `number` parameter takes numeric strings ("42", " 1e3 "); one whose value is beyond ±1.8e308 ("1e400") ' +
      'is refused, since it is no finite number. Whether a numeral overflows depends on its digits and exponent ' +
      'together, which a pattern can only approximate: the docs give the syntax',
    explain: ({ entry, schema, server }) =>
      schema.accepts &&
      server.code === 'VALIDATION_ERROR' &&
      server.paths.length > 0 &&
      server.paths.every((path) => {
        const value = valueAtPath(entry.data, path);
        // Infinity, not NaN: a numeral whose value overflows, not text that is no numeral.
        return typeof value === 'string' && Math.abs(Number(value)) === Infinity;
      })
        ? 'beyond ±1.8e308'
        : undefined,
  },
  {
    name: 'nesting depth',
    reason:
      'the server refuses `data` nested deeper than its `maxDepth` option (default 32) before any validation, ' +
      'whatever the handler; JSON Schema has no keyword for depth',
    explain: ({ schema, server }) =>
      schema.accepts && server.code === 'INVALID_MESSAGE' && server.detail.includes('nested too deeply')
        ? 'maxDepth'
        : undefined,
  },
  {
    name: 'unconstrained rule',
    reason:
      'a class-validator rule the converter cannot express (a custom constraint, a function, a check such as ' +
      "an ISBN checksum, or validator.js's own reading of a format): the docs list the property as " +
      'unconstrained by it (`DtoSchemas.unconstrained`), so the server alone rejects',
    explain: (disagreement) => {
      if (!disagreement.schema.accepts || disagreement.server.code !== 'VALIDATION_ERROR') return undefined;
      return unconstrainedRulesRejecting(disagreement)?.join(', ');
    },
  },
];

// ---------------------------------------------------------------------------------------------

/** `name (case)` of the accepted difference that covers the disagreement, if any. */
function acceptedDifference(disagreement: Disagreement): string | undefined {
  for (const difference of ACCEPTED_DIFFERENCES) {
    const detail = difference.explain(disagreement);
    if (detail !== undefined) return `${difference.name} (${detail})`;
  }
  return undefined;
}

interface Outcome {
  payloads: number;
  /** Payloads the server validated, after which the handler failed (e.g. INTERNAL_ERROR). */
  handlerFailures: string[];
  agreements: number;
  /** Disagreements covered by ACCEPTED_DIFFERENCES, counted by `name (case)`. */
  accepted: Map<string, number>;
  unexpected: Disagreement[];
  /** Per handler, how many payloads each side accepted. */
  tallies: Map<string, Tally>;
}

interface Tally {
  payloads: number;
  schemaAccepted: number;
  serverAccepted: number;
  /** Whether the documented schema accepts any JSON value (`{}`): its side then never rejects. */
  unconstrained: boolean;
}

async function compare(metadata: ModuleMetadata, socketPath = '/'): Promise<Outcome> {
  let testApp: TestApp | undefined;
  try {
    testApp = await startApp(metadata);
    const document = createSocketApiDocument(testApp.app);
    const ajv = new Ajv({ allErrors: true, strict: false });
    addFormats(ajv);
    const cases: Array<Omit<Disagreement, 'schema' | 'server'> & { verdict: Verdict }> = [];
    for (const [index, handler] of handlersOf(testApp.app).entries()) {
      const documented = schemaOfHandler(document, handler);
      const validate = ajv.compile({ ...documented.frame, components: { schemas: documented.components } });
      const corpus = payloadCorpus({
        schema: documented.data,
        components: documented.components,
        params: handler.params,
        validator: handler.validator,
        seed: SEED + index,
      });
      for (const entry of corpus) {
        cases.push({ handler, documented, entry, verdict: schemaVerdict(validate, frameOf(handler, entry.data)) });
      }
    }
    const replies = await exchange(
      `${testApp.url}${socketPath}`,
      cases.map(({ handler, entry }) => frameOf(handler, entry.data)),
    );
    const outcome: Outcome = {
      payloads: cases.length,
      handlerFailures: [],
      agreements: 0,
      accepted: new Map(),
      unexpected: [],
      tallies: new Map(),
    };
    cases.forEach(({ handler, documented, entry, verdict }, index) => {
      const server = serverVerdict(replies[index]);
      const unconstrained = Object.keys(documented.data).filter((key) => key !== 'description').length === 0;
      const tally = outcome.tallies.get(handler.name) ?? {
        payloads: 0,
        schemaAccepted: 0,
        serverAccepted: 0,
        unconstrained,
      };
      tally.payloads++;
      tally.schemaAccepted += Number(verdict.accepts);
      tally.serverAccepted += Number(server.accepts);
      outcome.tallies.set(handler.name, tally);
      if (server.accepts && replies[index].type === 'error') {
        outcome.handlerFailures.push(`${handler.name} ${JSON.stringify(entry.data)}: ${server.detail}`);
      }
      if (server.accepts === verdict.accepts) {
        outcome.agreements++;
        return;
      }
      const disagreement = { handler, entry, schema: verdict, server, documented };
      const accepted = acceptedDifference(disagreement);
      if (accepted) outcome.accepted.set(accepted, (outcome.accepted.get(accepted) ?? 0) + 1);
      else outcome.unexpected.push(disagreement);
    });
    return outcome;
  } finally {
    await testApp?.close();
  }
}

function summary(title: string, { payloads, agreements, accepted, handlerFailures }: Outcome): string {
  const rate = ((100 * agreements) / payloads).toFixed(2);
  const differences = [...accepted].map(([name, count]) => `${name}: ${count}`).join(', ') || 'none';
  return (
    `schema agreement (${title}): ${payloads} payloads, ${agreements} agree, rate ${rate}%; ` +
    `accepted differences: ${differences}; handler failures after validation: ${handlerFailures.length}`
  );
}

/**
 * Handlers whose corpus does not reach both verdicts on each side (a corpus that only gets rejections
 * would agree trivially): each side must accept some payloads and reject others, except that a schema
 * that accepts anything rejects nothing.
 */
function oneSided({ tallies }: Outcome): string[] {
  return [...tallies]
    .filter(
      ([, { payloads, schemaAccepted, serverAccepted, unconstrained }]) =>
        schemaAccepted === 0 ||
        serverAccepted === 0 ||
        serverAccepted === payloads ||
        (schemaAccepted === payloads && !unconstrained),
    )
    .map(([name, tally]) => `${name}: ${JSON.stringify(tally)}`);
}

/** The unexpected disagreements, the first of them in full (a broken converter can produce thousands). */
function unexpected({ unexpected: disagreements }: Outcome): { count: number; first: string[] } {
  return { count: disagreements.length, first: disagreements.slice(0, 30).map(describeDisagreement) };
}

function describeDisagreement({ handler, entry, schema, server }: Disagreement): string {
  const data = entry.data === undefined ? '<no data>' : JSON.stringify(entry.data);
  return (
    `${handler.kind} ${handler.name} ${data} [${entry.why}]: schema ${schema.accepts ? 'accepts' : 'rejects'}` +
    `${schema.accepts ? '' : ` (${schema.detail})`}, server ${server.accepts ? 'accepts' : `rejects (${server.detail})`}`
  );
}

// Frames of several handlers interleave on one socket: replies are matched by id, so order does not matter.
const SERVER_OPTIONS = {
  path: '/',
  concurrency: 32,
  maxPendingMessages: 4 * WINDOW,
  maxPendingBytes: 16 * 1024 * 1024,
};

describe('schema agreement: the documented data schema accepts a payload ⇔ the server accepts it', () => {
  it('on the zoo of DTOs, parameters and validation options', async () => {
    const outcome = await compare({
      imports: [SocketApiModule.forRoot(SERVER_OPTIONS)],
      providers: [ZooService],
    });
    console.log(summary('zoo', outcome));
    expect(unexpected(outcome)).toEqual({ count: 0, first: [] });
    expect(oneSided(outcome)).toEqual([]);
    // The zoo's handlers only answer: a failure after validation is a fault of the test, not a verdict.
    expect(outcome.handlerFailures).toEqual([]);
  });

  it('on the zoo under strict input: additionalProperties: false at every DTO level, as the server refuses', async () => {
    const outcome = await compare({
      imports: [SocketApiModule.forRoot({ ...SERVER_OPTIONS, validation: { strictInput: true } })],
      providers: [ZooService],
    });
    console.log(summary('zoo, strict input', outcome));
    expect(unexpected(outcome)).toEqual({ count: 0, first: [] });
    expect(oneSided(outcome)).toEqual([]);
    expect(outcome.handlerFailures).toEqual([]);
  });

  it("on the sample app's handlers", async () => {
    const outcome = await compare(
      {
        imports: [SocketApiModule.forRoot(SERVER_OPTIONS)],
        providers: [ChatService, UsersService, AdminGuard],
        // Opened as an admin, so that AdminGuard (which looks at the connection, not at `data`) lets frames through.
      },
      '/?role=admin',
    );
    console.log(summary('sample', outcome));
    expect(unexpected(outcome)).toEqual({ count: 0, first: [] });
    expect(oneSided(outcome)).toEqual([]);
  });
});
