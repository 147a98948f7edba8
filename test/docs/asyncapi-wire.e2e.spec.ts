import 'reflect-metadata';
import { Ajv, type ValidateFunction } from 'ajv';
import addFormatsModule from 'ajv-formats';
import {
  type AsyncApiDocument,
  type AsyncApiOperation,
  type AsyncApiReference,
  createSocketApiDocument,
  SocketApiModule,
} from '../../lib/index.js';
import { AppModule } from '../../sample/app.module.js';
import { AdminGuard } from '../../sample/auth/admin.guard.js';
import { useCleanup } from '../support/cleanup.js';
import { startApp, type TestApp } from '../support/test-app.js';
import { TestClient } from '../support/ws-client.js';
import { Documented } from './asyncapi-app.js';

// ajv-formats is CommonJS: under ESM its default import is `module.exports`, the plugin itself,
// which its types (written for `esModuleInterop` transpilers) call `.default`.
const addFormats = addFormatsModule as unknown as typeof addFormatsModule.default;

/*
 * The document against the server itself: every frame a real server sends for the document's own
 * examples (or a bare request when there are none) fits one of the messages the document names for
 * it, and an example's reply is the reply, not an error. What the page and generated clients rely on.
 */

/** Validators of a document's messages, by `$ref` (a channel's message, or the shared error message it refers to). */
class MessageSchemas {
  private readonly ajv = new Ajv({ strict: false, allErrors: true, validateSchema: false });

  constructor(private readonly document: AsyncApiDocument) {
    addFormats(this.ajv);
    this.ajv.addSchema(document, 'document');
  }

  /** The message a `$ref` names, following a channel's `$ref` to `components.messages`. */
  private pointer(ref: AsyncApiReference): string {
    const [, channelKey, messageKey] = /^#\/channels\/([^/]+)\/messages\/([^/]+)$/.exec(ref.$ref) ?? [];
    const entry = this.document.channels[channelKey]?.messages[messageKey];
    return entry && '$ref' in entry ? entry.$ref : ref.$ref;
  }

  validator(ref: AsyncApiReference): ValidateFunction {
    const validate = this.ajv.getSchema(`document${this.pointer(ref)}/payload`);
    if (!validate) throw new Error(`no payload schema at ${ref.$ref}`);
    return validate;
  }

  /** Which of the messages the frame fits (their `$ref`s), with why it fits none. */
  fits(frame: unknown, refs: AsyncApiReference[]): { fitting: string[]; why: string } {
    const fitting: string[] = [];
    const why: string[] = [];
    for (const ref of refs) {
      const validate = this.validator(ref);
      if (validate(frame)) fitting.push(ref.$ref);
      else why.push(`${ref.$ref}: ${this.ajv.errorsText(validate.errors)}`);
    }
    return { fitting, why: why.join('; ') };
  }
}

interface Exchange {
  operation: AsyncApiOperation;
  request: Record<string, unknown>;
  /** The example had a reply: the server must answer with the reply message, not an error. */
  expectsReply: boolean;
}

/** A request per example of each receive operation's message, or a bare one when it has none. */
function exchanges(document: AsyncApiDocument, requests: AsyncApiOperation[]): Exchange[] {
  return requests.flatMap((operation): Exchange[] => {
    const ref = operation.messages[0];
    const [, channelKey, messageKey] = /^#\/channels\/([^/]+)\/messages\/([^/]+)$/.exec(ref.$ref)!;
    const message = document.channels[channelKey].messages[messageKey];
    const examples = '$ref' in message ? [] : (message.examples ?? []);
    const name = operation['x-socketapi-name'];
    const type = operation['x-socketapi-kind'] === 'action' ? 'action' : operation['x-socketapi-kind'];
    if (examples.length === 0) return [{ operation, request: { type, channel: name }, expectsReply: false }];
    return examples.map((example) => ({ operation, request: example.payload, expectsReply: true }));
  });
}

describe('the AsyncAPI document against the server', () => {
  const cleanup = useCleanup();

  async function checkApp(t: TestApp): Promise<number> {
    const document = createSocketApiDocument(t.app);
    const messages = new MessageSchemas(document);
    const operations = Object.values(document.operations);
    const publications = new Map(
      operations
        .filter((operation) => operation['x-socketapi-kind'] === 'publication')
        .map((operation) => [operation['x-socketapi-name'], operation.messages]),
    );
    const client = cleanup.track(await TestClient.open(t.url));
    let checked = 0;
    let id = 0;
    const requests = operations.filter((operation) => operation.reply);
    for (const { operation, request, expectsReply } of exchanges(document, requests)) {
      const sent = { ...request, id: `m${++id}` };
      // A bare request may lack what the handler needs: the document must then say so, and the server refuse it.
      const requestFits = messages.fits(sent, operation.messages).fitting.length === 1;
      if (expectsReply) expect(requestFits).toBe(true);
      client.send(sent);
      const [reply] = (await client.next(1)) as Array<Record<string, unknown>>;
      expect(reply.id).toBe(sent.id);
      const { fitting, why } = messages.fits(reply, operation.reply!.messages);
      expect({ reply, fits: fitting.length > 0 ? 'yes' : why }).toEqual({ reply, fits: 'yes' });
      const [replyRef, errorRef] = operation.reply!.messages.map((ref) => ref.$ref);
      if (expectsReply) expect(fitting).toEqual([replyRef]);
      if (!requestFits) expect(fitting).toEqual([errorRef]);
      checked++;
      // After `subscribed`, a channel with initial data sends a publication: it fits the channel's publication message.
      await new Promise((resolve) => setTimeout(resolve, 50));
      for (const extra of client.frames.splice(0)) {
        const name = operation['x-socketapi-name'];
        const { fitting: fitsPublication, why: whyNot } = messages.fits(extra, publications.get(name) ?? []);
        expect({ extra, fits: fitsPublication.length > 0 ? 'yes' : whyNot }).toEqual({ extra, fits: 'yes' });
        checked++;
      }
    }
    return checked;
  }

  it('every frame of the sample app fits what its document says', async () => {
    const t = cleanup.track(await startApp({ imports: [AppModule] }));
    expect(await checkApp(t)).toBeGreaterThan(0);
  });

  it('every frame of an app with typed replies, examples and odd names fits what its document says', async () => {
    const t = cleanup.track(
      await startApp({ imports: [SocketApiModule.forRoot()], providers: [Documented, AdminGuard] }),
    );
    expect(await checkApp(t)).toBeGreaterThan(0);
  });
});
