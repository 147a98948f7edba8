import { Ajv } from 'ajv';
import type { AsyncApiDocument } from '../../lib/index.js';
import { ErrorCode } from '../../lib/index.js';

/** The wire names of an app's handlers, as its registry has them. */
export interface RegisteredNames {
  actions: string[];
  channels: string[];
}

/**
 * What the AsyncAPI parser does not check but our document promises (docs/asyncapi.md, "Layout"):
 * each a sentence naming what is wrong, so that a failing test says it. Empty: all hold.
 */
export function documentProblems(document: AsyncApiDocument, registered: RegisteredNames): string[] {
  return [
    ...unresolvedRefs(document),
    ...operationProblems(document),
    ...handlerCoverage(document, registered),
    ...errorCodeProblems(document),
    ...parameterProblems(document),
    ...exampleProblems(document),
  ];
}

/**
 * Follows a local `$ref` (`#/a/b`, JSON Pointer with ~0/~1 escapes), and the `$ref` it leads to, if
 * any; undefined when it leads nowhere.
 */
export function resolve(document: unknown, ref: string, hops = 0): unknown {
  if (!ref.startsWith('#') || hops > 10) return undefined;
  let node: unknown = document;
  for (const raw of ref
    .slice(2)
    .split('/')
    .filter((part, index) => part !== '' || index > 0)) {
    const key = decodeURIComponent(raw).replace(/~1/g, '/').replace(/~0/g, '~');
    if (typeof node !== 'object' || node === null || !Object.hasOwn(node, key)) return undefined;
    node = (node as Record<string, unknown>)[key];
  }
  const next = typeof node === 'object' && node !== null && '$ref' in node ? node.$ref : undefined;
  return typeof next === 'string' ? resolve(document, next, hops + 1) : node;
}

function unresolvedRefs(document: AsyncApiDocument): string[] {
  const problems: string[] = [];
  const walk = (node: unknown, at: string): void => {
    if (Array.isArray(node)) return node.forEach((item, index) => walk(item, `${at}/${index}`));
    if (typeof node !== 'object' || node === null) return;
    for (const [key, value] of Object.entries(node)) {
      if (key === '$ref' && typeof value === 'string' && resolve(document, value) === undefined) {
        problems.push(`${at}: $ref ${value} does not resolve`);
      }
      walk(value, `${at}/${key}`);
    }
  };
  walk(document, '#');
  return problems;
}

/** The channel key of `#/channels/<key>` or `#/channels/<key>/messages/<m>`. */
function channelKeyOf(ref: string): string | undefined {
  return /^#\/channels\/([^/]+)(\/|$)/.exec(ref)?.[1];
}

function operationProblems(document: AsyncApiDocument): string[] {
  const problems: string[] = [];
  for (const [key, operation] of Object.entries(document.operations)) {
    const channelKey = channelKeyOf(operation.channel.$ref);
    for (const message of operation.messages) {
      if (channelKeyOf(message.$ref) !== channelKey) {
        problems.push(`operation ${key}: message ${message.$ref} is not of its channel ${operation.channel.$ref}`);
      }
    }
    const kind = operation['x-socketapi-kind'];
    // What the server sends by itself (publications, join/leave) has no reply; the rest is answered.
    const sent = kind === 'publication' || kind === 'join' || kind === 'leave';
    const expectsReply = !sent;
    if (expectsReply !== (operation.reply !== undefined)) {
      problems.push(`operation ${key} (${kind}): ${expectsReply ? 'no reply' : 'a reply on a publication'}`);
    }
    if (operation.action !== (sent ? 'send' : 'receive')) {
      problems.push(`operation ${key} (${kind}): action ${operation.action}`);
    }
    if (!operation.reply) continue;
    const replyChannel = channelKeyOf(operation.reply.channel.$ref);
    for (const message of operation.reply.messages) {
      if (channelKeyOf(message.$ref) !== replyChannel) {
        problems.push(`operation ${key}: reply message ${message.$ref} is not of its reply channel`);
      }
    }
    const replies = operation.reply.messages.map((message) => resolve(document, message.$ref));
    if (!replies.includes(document.components.messages.error)) {
      problems.push(`operation ${key}: the error message is not among its replies`);
    }
    for (const message of [...operation.messages, ...operation.reply.messages]) {
      const resolved = resolve(document, message.$ref) as { correlationId?: { location: string } } | undefined;
      if (resolved?.correlationId?.location !== '$message.payload#/id') {
        problems.push(`operation ${key}: message ${message.$ref} is not correlated on its payload's id`);
      }
    }
  }
  return problems;
}

function handlerCoverage(document: AsyncApiDocument, registered: RegisteredNames): string[] {
  const problems: string[] = [];
  const operations = Object.values(document.operations);
  const named = (kind: string) =>
    operations
      .filter((operation) => operation['x-socketapi-kind'] === kind)
      .map((operation) => operation['x-socketapi-name'])
      .sort();
  const expect = (kind: string, names: string[]) => {
    const found = named(kind);
    const wanted = [...names].sort();
    if (JSON.stringify(found) !== JSON.stringify(wanted)) {
      problems.push(`${kind} operations are for ${JSON.stringify(found)}, the app has ${JSON.stringify(wanted)}`);
    }
  };
  expect('action', registered.actions);
  for (const kind of ['subscribe', 'unsubscribe', 'publication']) expect(kind, registered.channels);
  for (const [key, operation] of Object.entries(document.operations)) {
    const name = operation['x-socketapi-name'];
    const channel = resolve(document, operation.channel.$ref) as { address: string | null } | undefined;
    // A pattern channel (`rooms/:roomId`) has the address `rooms/{roomId}` and frames of any concrete name.
    const address = name.replace(/(^|\/):([A-Za-z_][A-Za-z0-9_]*)(?=\/|$)/g, '$1{$2}');
    if (channel?.address !== null && channel?.address !== address) {
      problems.push(`operation ${key}: its channel's address is ${channel?.address}, not ${address}`);
    }
    for (const message of operation.messages) {
      const payload = (resolve(document, message.$ref) as { payload: Record<string, unknown> }).payload;
      const channelField = (payload.properties as Record<string, { const?: unknown; pattern?: string }>).channel;
      const fits = address === name ? channelField.const === name : channelField.pattern !== undefined;
      if (!fits) problems.push(`operation ${key}: its frame's channel is not ${name}`);
    }
  }
  return problems;
}

function errorCodeProblems(document: AsyncApiDocument): string[] {
  const error = document.components.messages.error;
  const code = (error.payload.properties as Record<string, { anyOf?: Array<{ enum?: string[] }> }>).code;
  const listed = new Set(code.anyOf?.flatMap((option) => option.enum ?? []));
  const described = error['x-socketapi-error-codes'] ?? {};
  return Object.values(ErrorCode).flatMap((value) => [
    ...(listed.has(value) ? [] : [`error code ${value} is not in the error message's enum`]),
    ...(described[value] ? [] : [`error code ${value} has no description`]),
  ]);
}

function parameterProblems(document: AsyncApiDocument): string[] {
  return Object.entries(document.channels).flatMap(([key, channel]) => {
    const used = [...(channel.address ?? '').matchAll(/\{([^}]*)\}/g)].map((match) => match[1]);
    const declared = Object.keys((channel as { parameters?: Record<string, unknown> }).parameters ?? {});
    return [
      ...used
        .filter((name) => !declared.includes(name))
        .map((name) => `channel ${key}: parameter {${name}} undeclared`),
      ...declared.filter((name) => !used.includes(name)).map((name) => `channel ${key}: parameter ${name} unused`),
    ];
  });
}

/** Every message example is a whole frame that the message's own payload schema accepts. */
function exampleProblems(document: AsyncApiDocument): string[] {
  const ajv = new Ajv({ strict: false, allErrors: true, validateSchema: false });
  ajv.addSchema(document, 'document');
  const problems: string[] = [];
  const messages = Object.entries(document.channels).flatMap(([key, channel]) =>
    Object.entries(channel.messages).map(([id, message]) => [`#/channels/${key}/messages/${id}`, message] as const),
  );
  for (const [pointer, message] of messages) {
    if ('$ref' in message) continue;
    const validate = ajv.getSchema(`document${pointer}/payload`);
    for (const example of message.examples ?? []) {
      if (!validate?.(example.payload)) {
        problems.push(
          `${pointer}: example ${JSON.stringify(example.payload)} does not fit: ${ajv.errorsText(validate?.errors)}`,
        );
      }
    }
  }
  return problems;
}
