import 'reflect-metadata';
import { Test } from '@nestjs/testing';
import { readDocument, type ActionDoc, type ApiDocument, type JsonObject } from '../../docs-ui/api-document.js';
import { inlineRefs, parameterRows, skeleton } from '../../docs-ui/schema.js';
import { createSocketApiDocument } from '../../lib/index.js';
import { AppModule } from '../../sample/app.module.js';

/**
 * What the docs page reads from a real document (the sample's, built by the library, no server
 * listening): the rows of its parameter tables, the skeleton of its editors. The sample's
 * CreateUserDto refers to itself (an address may be a list of addresses), which once sent the page's
 * type names into an endless recursion.
 */
describe("the docs page's reading of the sample's document", () => {
  let api: ApiDocument;

  beforeAll(async () => {
    const moduleRef = await Test.createTestingModule({ imports: [AppModule] }).compile();
    const app = moduleRef.createNestApplication({ logger: false });
    await app.init();
    const document = createSocketApiDocument(app);
    await app.close();
    api = readDocument(JSON.parse(JSON.stringify(document)) as JsonObject);
  });

  const action = (name: string): ActionDoc => {
    const found = [...api.groups.values()].flat().find((handler) => handler.name === name);
    if (found?.kind !== 'action') throw new Error(`no action ${name}`);
    return found;
  };

  it('groups the handlers by their first tag and finds the socket path', () => {
    expect([...api.groups.keys()].sort()).toEqual(['admin', 'chat', 'math', 'rooms', 'users']);
    expect(api.groups.get('chat')!.map((handler) => `${handler.kind} ${handler.name}`)).toEqual([
      'action send_message',
      'channel chat',
    ]);
    expect(api.socketPath).toBe('/');
    expect(api.auth).toEqual({ kind: 'none' });
  });

  it('tables nested DTO properties by path with their constraints, through a self-referencing schema', () => {
    const rows = parameterRows(api.resolver, action('create_user').data);
    const byName = new Map(rows.map((row) => [row.name, row]));
    expect([...byName.keys()]).toEqual(
      expect.arrayContaining(['user', 'user.username', 'user.age', 'user.address', 'user.address.zipcode']),
    );
    expect(byName.get('user')).toMatchObject({ type: 'CreateUserDto', required: true });
    expect(byName.get('user.address')!.type).toContain('AddressDto');
    expect(byName.get('user.address.zipcode')).toMatchObject({ type: 'string', required: true });
    expect(byName.get('user.address.zipcode')!.constraints).toEqual(
      expect.arrayContaining(['min length 5', 'max length 10']),
    );
    expect(byName.get('user.age')!.constraints).toContain('≥ 0');
    // A rule the schema cannot express is said, not left out.
    expect(byName.get('user.email')!.constraints.join(' ')).toContain('not in the schema: isEmail');
  });

  it('prefills an editor with a value of the right shape, and shows a recursive schema finitely', () => {
    const data = skeleton(api.resolver, action('create_user').data) as { user: Record<string, unknown> };
    expect(data.user).toMatchObject({ username: 'xx', age: 0, address: { street: '', city: '', zipcode: 'xxxxx' } });
    expect(JSON.stringify(inlineRefs(api.resolver, action('create_user').data)).length).toBeLessThan(20_000);
  });
});
