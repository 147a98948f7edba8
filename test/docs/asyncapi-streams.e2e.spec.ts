import 'reflect-metadata';
import { Parser } from '@asyncapi/parser';
import { Injectable, type INestApplication } from '@nestjs/common';
import { Test } from '@nestjs/testing';
import { Ajv } from 'ajv';
import {
  createSocketApiContract,
  createSocketApiDocument,
  Data,
  SocketApiModule,
  SocketChannel,
  type AsyncApiDocument,
} from '../../lib/index.js';
import { SocketApiRegistry } from '../../lib/registry/socket-api.registry.js';
import { useCleanup } from '../support/cleanup.js';
import { documentProblems } from './asyncapi-invariants.js';

/*
 * The AsyncAPI document and the typed contract of issue 12's channels: a pattern channel
 * (`rooms/:roomId` → address `rooms/{roomId}` with its parameter), history (offsets, `recover`, the
 * position on `subscribed`), presence (query, reply, join/leave) — still valid for @asyncapi/parser,
 * and the frames of the wire (PROTOCOL.md) fit the messages' schemas.
 */

@Injectable()
class Rooms {
  @SocketChannel('rooms/:roomId', {
    history: { size: 1000, ttl: 300_000 },
    presence: { joinLeave: true },
    initialData: true,
  })
  room(): { members: number } {
    return { members: 0 };
  }

  @SocketChannel('docs/:docId/cursors/:userId', { presence: true })
  cursors(@Data('color') color: string): void {
    void color;
  }

  @SocketChannel('ticker', { history: { size: 10, ttl: 1000 } })
  ticker(): void {}

  @SocketChannel('lobby')
  lobby(): void {}
}

const parser = new Parser();

describe('the AsyncAPI document of pattern, history and presence channels', () => {
  const cleanup = useCleanup();
  let app: INestApplication;
  let document: AsyncApiDocument;

  beforeEach(async () => {
    const moduleRef = await Test.createTestingModule({
      imports: [SocketApiModule.forRoot({})],
      providers: [Rooms],
    }).compile();
    app = moduleRef.createNestApplication({ logger: false });
    cleanup.add(() => app.close());
    await app.init();
    document = createSocketApiDocument(app);
  });

  /** The schema of a message's whole frame, to validate wire frames against. */
  const frameSchema = (channelKey: string, message: string) => {
    const ajv = new Ajv({ strict: false, validateSchema: false });
    ajv.addSchema(document, 'document');
    const validate = ajv.getSchema(`document#/channels/${channelKey}/messages/${message}/payload`);
    if (validate === undefined) throw new Error(`no message ${channelKey}/${message}`);
    return (frame: unknown) => validate(frame);
  };
  const keyOf = (name: string) =>
    Object.entries(document.channels).find(([, channel]) => channel['x-socketapi-name'] === name)?.[0] ?? '';

  it('is valid AsyncAPI 3.0.0 (no error, no warning) and keeps the layout promises', async () => {
    const found = await parser.validate(JSON.stringify(document));
    expect(found.filter((diagnostic) => Number(diagnostic.severity) <= 1).map((d) => d.message)).toEqual([]);
    const registry = app.get(SocketApiRegistry);
    expect(
      documentProblems(document, { actions: [...registry.actions.keys()], channels: [...registry.channels.keys()] }),
    ).toEqual([]);
  });

  it('states a pattern channel as an address with parameters; its frames carry any concrete name', () => {
    const rooms = document.channels[keyOf('rooms/:roomId')];
    expect(rooms?.address).toBe('rooms/{roomId}');
    expect(Object.keys(rooms?.parameters ?? {})).toEqual(['roomId']);
    expect(Object.keys(document.channels[keyOf('docs/:docId/cursors/:userId')]?.parameters ?? {})).toEqual([
      'docId',
      'userId',
    ]);
    expect(document.channels[keyOf('lobby')]?.parameters).toBeUndefined();
    const subscribe = frameSchema(keyOf('rooms/:roomId'), 'subscribe');
    expect(subscribe({ type: 'subscribe', channel: 'rooms/42', id: 1 })).toBe(true);
    expect(subscribe({ type: 'subscribe', channel: 'rooms/4/2', id: 1 })).toBe(false);
    expect(subscribe({ type: 'subscribe', channel: 'room/42', id: 1 })).toBe(false);
    expect(subscribe({ type: 'subscribe', channel: 'rooms/', id: 1 })).toBe(false);
  });

  it('describes history: recover, the position on subscribed, offsets on publications', () => {
    const key = keyOf('rooms/:roomId');
    expect(document.channels[key]?.['x-socketapi-history']).toEqual({ size: 1000, ttl: 300_000 });
    const subscribe = frameSchema(key, 'subscribe');
    expect(subscribe({ type: 'subscribe', channel: 'rooms/42', recover: { offset: 5, epoch: 'E' }, id: 1 })).toBe(true);
    expect(subscribe({ type: 'subscribe', channel: 'rooms/42', recover: { offset: -1, epoch: 'E' }, id: 1 })).toBe(
      false,
    );
    const subscribed = frameSchema(key, 'subscribed');
    expect(subscribed({ type: 'subscribed', channel: 'rooms/42', offset: 7, epoch: 'E', recovered: true, id: 1 })).toBe(
      true,
    );
    // The server's resync: no id.
    expect(subscribed({ type: 'subscribed', channel: 'rooms/42', offset: 0, epoch: 'E2', recovered: false })).toBe(
      true,
    );
    const publication = frameSchema(key, 'publication');
    expect(publication({ type: 'data', channel: 'rooms/42', data: { message: 'hi' }, offset: 7 })).toBe(true);
    // With initialData, the initial data frame has no offset; without, every data frame has one.
    expect(publication({ type: 'data', channel: 'rooms/42', data: { members: 1 } })).toBe(true);
    expect(frameSchema(keyOf('ticker'), 'publication')({ type: 'data', channel: 'ticker', data: 1 })).toBe(false);
    expect(frameSchema(keyOf('ticker'), 'publication')({ type: 'data', channel: 'ticker', data: 1, offset: 1 })).toBe(
      true,
    );
    // A plain channel's messages are as before.
    expect(document.channels[keyOf('lobby')]?.['x-socketapi-history']).toBeUndefined();
    expect(Object.keys(document.channels[keyOf('lobby')]?.messages ?? {}).sort()).toEqual(
      ['error', 'publication', 'subscribe', 'subscribed', 'unsubscribe', 'unsubscribed'].sort(),
    );
  });

  it('describes presence: the query and its reply; join and leave only with joinLeave', () => {
    const rooms = keyOf('rooms/:roomId');
    const cursors = keyOf('docs/:docId/cursors/:userId');
    expect(document.channels[rooms]?.['x-socketapi-presence']).toEqual({ joinLeave: true });
    expect(document.channels[cursors]?.['x-socketapi-presence']).toEqual({ joinLeave: false });
    expect(frameSchema(rooms, 'presence')({ type: 'presence', channel: 'rooms/42', id: 2 })).toBe(true);
    expect(
      frameSchema(
        rooms,
        'presenceReply',
      )({
        type: 'presence',
        channel: 'rooms/42',
        data: [{ clientId: 'c1', info: { name: 'Ada' } }, { clientId: 'c2' }],
        id: 2,
      }),
    ).toBe(true);
    expect(frameSchema(rooms, 'join')({ type: 'join', channel: 'rooms/42', data: { clientId: 'c1' } })).toBe(true);
    expect(frameSchema(rooms, 'leave')({ type: 'leave', channel: 'rooms/42', data: {} })).toBe(false);
    const kinds = (key: string) =>
      Object.values(document.operations)
        .filter((operation) => operation.channel.$ref === `#/channels/${key}`)
        .map((operation) => operation['x-socketapi-kind'])
        .sort();
    expect(kinds(rooms)).toEqual(['join', 'leave', 'presence', 'publication', 'subscribe', 'unsubscribe']);
    expect(kinds(cursors)).toEqual(['presence', 'publication', 'subscribe', 'unsubscribe']);
    expect(kinds(keyOf('lobby'))).toEqual(['publication', 'subscribe', 'unsubscribe']);
    const codes = (
      document.components.messages.error.payload.properties as { code: { anyOf: Array<{ enum?: string[] }> } }
    ).code.anyOf[0]?.enum;
    expect(codes).toEqual(expect.arrayContaining(['PRESENCE_DISABLED', 'NOT_SUBSCRIBED', 'UNAVAILABLE']));
  });

  it('writes the contract: params, history and presence on the channels that have them', () => {
    const source = createSocketApiContract(app);
    expect(source).toContain(`"rooms/:roomId": {`);
    expect(source).toMatch(/"rooms\/:roomId": \{[^}]*params: \{\s*roomId: string;\s*\};/);
    expect(source).toMatch(/"rooms\/:roomId": \{[\s\S]*?history: true;[\s\S]*?presence: \{\s*info: unknown;\s*\};/);
    expect(source).toMatch(/ticker: \{\s*data: [^;]+;\s*payload: [^;]+;\s*history: true;\s*\};/);
    expect(source).toMatch(/lobby: \{\s*data: [^;]+;\s*payload: [^;]+;\s*\};/);
  });
});
