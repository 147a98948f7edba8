import 'reflect-metadata';
import { Parser } from '@asyncapi/parser';
import { type INestApplication, type ModuleMetadata } from '@nestjs/common';
import { Test } from '@nestjs/testing';
import {
  apiKeyAuthenticator,
  type AsyncApiDocument,
  type AsyncApiMessage,
  createSocketApiDocument,
  jwtAuthenticator,
  SocketApiModule,
  type SocketApiModuleOptions,
} from '../../lib/index.js';
import { SocketApiRegistry } from '../../lib/registry/socket-api.registry.js';
import { AppModule } from '../../sample/app.module.js';
import { AdminGuard } from '../../sample/auth/admin.guard.js';
import { useCleanup } from '../support/cleanup.js';
import { startApp } from '../support/test-app.js';
import { Documented, Extra } from './asyncapi-app.js';
import { documentProblems, resolve, type RegisteredNames } from './asyncapi-invariants.js';

const parser = new Parser();

/** The parser's diagnostics of a severity (0 error, 1 warning, 2 information, 3 hint), as readable lines. */
async function diagnostics(document: AsyncApiDocument, severity: number): Promise<string[]> {
  const found = await parser.validate(JSON.stringify(document));
  return found
    .filter((diagnostic) => Number(diagnostic.severity) === severity)
    .map((diagnostic) => `${diagnostic.code} at ${diagnostic.path.join('.')}: ${diagnostic.message}`);
}

function registeredNames(app: INestApplication): RegisteredNames {
  const registry = app.get(SocketApiRegistry);
  return { actions: [...registry.actions.keys()], channels: [...registry.channels.keys()] };
}

describe('the AsyncAPI document', () => {
  const cleanup = useCleanup();

  /** An initialized app that does not listen, as a build script has it. */
  async function initApp(metadata: ModuleMetadata): Promise<INestApplication> {
    const moduleRef = await Test.createTestingModule(metadata).compile();
    const app = moduleRef.createNestApplication({ logger: false });
    cleanup.add(() => app.close());
    await app.init();
    return app;
  }

  const withOptions = (options: SocketApiModuleOptions, providers: ModuleMetadata['providers'] = [Documented]) => ({
    imports: [SocketApiModule.forRoot(options)],
    providers: [...(providers ?? []), AdminGuard],
  });

  async function expectValid(app: INestApplication, document: AsyncApiDocument): Promise<void> {
    expect(await diagnostics(document, 0)).toEqual([]);
    expect(await diagnostics(document, 1)).toEqual([]);
    expect(documentProblems(document, registeredNames(app))).toEqual([]);
  }

  it('is valid AsyncAPI 3.0.0 for the sample app, with every handler the app registered', async () => {
    const app = await initApp({ imports: [AppModule] });
    const document = createSocketApiDocument(app);
    await expectValid(app, document);
    expect(registeredNames(app).actions.length).toBeGreaterThan(0);
  });

  it('is valid for an app using every documentation option, and says what the decorators say', async () => {
    const app = await initApp(
      withOptions({ path: '/ws', docs: { title: 'Geometry', version: '2.1.0', description: 'Points.' } }),
    );
    const document = createSocketApiDocument(app);
    await expectValid(app, document);

    expect(document.info).toEqual({ title: 'Geometry', version: '2.1.0', description: 'Points.' });
    expect(document.servers.socketapi).toMatchObject({ host: 'localhost', protocol: 'ws', pathname: '/ws' });
    const operation = (kind: string, name: string) => {
      const found = Object.values(document.operations).find(
        (candidate) => candidate['x-socketapi-kind'] === kind && candidate['x-socketapi-name'] === name,
      );
      if (!found) throw new Error(`no ${kind} operation for ${name}`);
      return found;
    };
    const message = (ref: { $ref: string }) =>
      resolve(document, ref.$ref) as AsyncApiDocument['components']['messages'][string];
    const dataOf = (ref: { $ref: string }) => (message(ref).payload.properties as Record<string, unknown>).data;

    const move = operation('action', 'move');
    expect(move).toMatchObject({ action: 'receive', summary: 'Moves the point', description: 'Adds `dx` to `x`.' });
    expect(move.tags).toEqual([{ name: 'geometry' }]);
    expect(message(move.messages[0]).examples).toEqual([
      {
        name: 'right',
        summary: 'one step right',
        payload: { type: 'action', channel: 'move', id: 1, data: { dx: 1 } },
      },
    ]);
    expect(message(move.reply!.messages[0]).examples).toEqual([
      {
        name: 'right',
        summary: 'one step right',
        payload: { type: 'action', channel: 'move', status: 'completed', id: 1, data: { x: 1, y: 0 } },
      },
    ]);

    expect(dataOf(operation('action', 'count').reply!.messages[0])).toMatchObject({ type: 'number' });
    expect(dataOf(operation('action', 'words').reply!.messages[0])).toMatchObject({
      type: 'array',
      items: { type: 'array', items: { type: 'string' } },
    });
    expect(dataOf(operation('action', 'untyped').reply!.messages[0])).not.toHaveProperty('type');

    expect(operation('action', 'count')['x-deprecated']).toBe(true);
    expect(message(operation('action', 'count').messages[0])['x-deprecated']).toBe(true);
    expect(operation('action', 'move')).not.toHaveProperty('x-deprecated');
    for (const kind of ['subscribe', 'unsubscribe', 'publication']) {
      expect(operation(kind, 'labels')).toMatchObject({ 'x-deprecated': true, tags: [{ name: 'geometry' }] });
    }
    expect(operation('publication', 'labels').action).toBe('send');

    // Names that cannot be keys as they are keep their name on the wire; two that give one key get two.
    expect(operation('action', 'room/1 #x').channel.$ref).not.toBe(operation('action', 'room_1__x').channel.$ref);
    expect(resolve(document, operation('action', 'room/1 #x').channel.$ref)).toMatchObject({ address: 'room/1 #x' });
    expect(resolve(document, operation('action', '{id}').channel.$ref)).toMatchObject({ address: null });
  });

  it('changes with the handlers: one added shows, one removed goes', async () => {
    const without = await initApp(withOptions({}, [Documented]));
    const withExtra = await initApp(withOptions({}, [Documented, Extra]));
    const before = createSocketApiDocument(without);
    const after = createSocketApiDocument(withExtra);
    await expectValid(without, before);
    await expectValid(withExtra, after);
    const names = (document: AsyncApiDocument) =>
      new Set(
        Object.values(document.operations).map(
          (operation) => `${operation['x-socketapi-kind']} ${operation['x-socketapi-name']}`,
        ),
      );
    const added = [...names(after)].filter((name) => !names(before).has(name));
    const extra = registeredNames(withExtra);
    const base = registeredNames(without);
    const newActions = extra.actions.filter((name) => !base.actions.includes(name));
    const newChannels = extra.channels.filter((name) => !base.channels.includes(name));
    expect(newActions.length + newChannels.length).toBeGreaterThan(0);
    expect(added.sort()).toEqual(
      [
        ...newActions.map((name) => `action ${name}`),
        ...newChannels.flatMap((name) => ['subscribe', 'unsubscribe', 'publication'].map((kind) => `${kind} ${name}`)),
      ].sort(),
    );
    expect([...names(before)].filter((name) => !names(after).has(name))).toEqual([]);
  });

  it('describes the security of jwtAuthenticator: bearer header or subprotocol, and the query parameter', async () => {
    const app = await initApp(withOptions({ auth: jwtAuthenticator({ secret: 'x'.repeat(32), queryParam: 'jwt' }) }));
    const document = createSocketApiDocument(app);
    await expectValid(app, document);
    const schemes = Object.values(document.components.securitySchemes ?? {});
    expect(schemes).toEqual([
      expect.objectContaining({
        type: 'http',
        scheme: 'bearer',
        bearerFormat: 'JWT',
        'x-socketapi-subprotocol': 'bearer',
      }),
      expect.objectContaining({ type: 'httpApiKey', in: 'query', name: 'jwt' }),
    ]);
    expect(document.servers.socketapi.security?.map((ref) => resolve(document, ref.$ref))).toEqual(schemes);
  });

  it('describes the security of apiKeyAuthenticator from its header and query parameter names', async () => {
    const app = await initApp(
      withOptions({ auth: apiKeyAuthenticator({ keys: ['k'], header: 'x-key', queryParam: 'key' }) }),
    );
    const document = createSocketApiDocument(app);
    await expectValid(app, document);
    expect(Object.values(document.components.securitySchemes ?? {})).toEqual([
      expect.objectContaining({ type: 'httpApiKey', in: 'header', name: 'x-key' }),
      expect.objectContaining({ type: 'httpApiKey', in: 'query', name: 'key' }),
    ]);

    const headerOnly = await initApp(withOptions({ auth: apiKeyAuthenticator({ keys: ['k'], queryParam: false }) }));
    expect(Object.values(createSocketApiDocument(headerOnly).components.securitySchemes ?? {})).toEqual([
      expect.objectContaining({ type: 'httpApiKey', in: 'header', name: 'x-api-key' }),
    ]);
  });

  it('gives a custom authenticator without a description one generic scheme, and an open server none', async () => {
    const custom = await initApp(withOptions({ auth: { authenticate: () => ({ user: 'u' }) } }));
    const document = createSocketApiDocument(custom);
    await expectValid(custom, document);
    expect(Object.keys(document.components.securitySchemes ?? {})).toHaveLength(1);
    expect(document.servers.socketapi.security).toHaveLength(1);

    const open = await initApp(withOptions({}));
    const openDocument = createSocketApiDocument(open);
    expect(openDocument.components).not.toHaveProperty('securitySchemes');
    expect(openDocument.servers.socketapi).not.toHaveProperty('security');
  });

  it('hands out copies with the server where the caller says, and the info it is given', async () => {
    const app = await initApp(withOptions({}));
    const first = createSocketApiDocument(app, {
      host: 'api.example.com',
      protocol: 'wss',
      info: { version: '9.9.9' },
    });
    const second = createSocketApiDocument(app);
    expect(first.servers.socketapi).toMatchObject({ host: 'api.example.com', protocol: 'wss' });
    expect(first.info).toEqual({ title: 'SocketAPI', version: '9.9.9' });
    expect(second.servers.socketapi).toMatchObject({ host: 'localhost', protocol: 'ws' });
    expect(second.info).toEqual({ title: 'SocketAPI', version: '1.0.0' });
    first.channels = {};
    expect(Object.keys(createSocketApiDocument(app).channels)).not.toHaveLength(0);
  });

  it('has invariant checks that catch each break they are for', async () => {
    const app = await initApp(withOptions({}));
    const names = registeredNames(app);
    const broken = (change: (document: AsyncApiDocument) => void) => {
      const document = createSocketApiDocument(app);
      change(document);
      return documentProblems(document, names);
    };
    const [actionKey, action] = Object.entries(createSocketApiDocument(app).operations).find(
      ([, operation]) => operation['x-socketapi-kind'] === 'action',
    )!;
    const otherChannel = Object.keys(createSocketApiDocument(app).channels).find(
      (key) => `#/channels/${key}` !== action.channel.$ref,
    )!;

    expect(broken(() => undefined)).toEqual([]);
    expect(broken((document) => delete document.operations[actionKey])).toEqual([
      expect.stringMatching(/^action operations are for/),
    ]);
    expect(
      broken(
        (document) =>
          (document.operations[actionKey].reply!.messages[0].$ref = `#/channels/${otherChannel}/messages/error`),
      ),
    ).toContainEqual(expect.stringMatching(/reply message .* is not of its reply channel/));
    expect(
      broken((document) => (document.operations[actionKey].reply!.messages = action.reply!.messages.slice(0, 1))),
    ).toEqual([expect.stringMatching(/the error message is not among its replies/)]);
    expect(broken((document) => (document.operations[actionKey].channel.$ref = '#/channels/nowhere'))).toContainEqual(
      expect.stringMatching(/does not resolve/),
    );
    expect(
      broken((document) => {
        const code = document.components.messages.error.payload.properties as Record<
          string,
          { anyOf: Array<{ enum?: string[] }> }
        >;
        code.code.anyOf[0].enum = code.code.anyOf[0].enum!.filter((value) => value !== 'TOKEN_EXPIRED');
      }),
    ).toEqual(["error code TOKEN_EXPIRED is not in the error message's enum"]);
    expect(
      broken((document) => {
        const channel = resolve(document, action.channel.$ref) as { address: string };
        channel.address = `${action['x-socketapi-name']}/{room}`;
      }),
    ).toContainEqual(expect.stringMatching(/parameter \{room\} undeclared/));
    expect(
      broken((document) => {
        const request = Object.values(document.channels)
          .flatMap((channel) => Object.values(channel.messages))
          .find((message) => 'examples' in message && message.examples?.length) as AsyncApiMessage;
        request.examples![0].payload.type = 'not-a-type';
      }),
    ).toEqual([expect.stringMatching(/example .* does not fit/)]);
  });

  it('refuses to describe an app that has not been initialized (its handlers are not known yet)', async () => {
    const moduleRef = await Test.createTestingModule(withOptions({})).compile();
    const app = moduleRef.createNestApplication({ logger: false });
    cleanup.add(() => app.close());
    expect(() => createSocketApiDocument(app)).toThrow(/app.init\(\)/);
    await app.init();
    expect(registeredNames(app).actions.length).toBeGreaterThan(0);
    expect(documentProblems(createSocketApiDocument(app), registeredNames(app))).toEqual([]);
  });

  it("names a listening app's port in the server's host", async () => {
    const t = cleanup.track(await startApp(withOptions({})));
    const { port } = new URL(t.url);
    expect(createSocketApiDocument(t.app).servers.socketapi.host).toBe(`localhost:${port}`);
  });
});
