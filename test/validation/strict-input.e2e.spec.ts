import 'reflect-metadata';
import { Injectable } from '@nestjs/common';
import { Type } from 'class-transformer';
import { IsString, ValidateNested } from 'class-validator';
import { Data, SocketAction, SocketApiModule } from '../../lib/index.js';
import { Leaf, StrictInputService, UntypedService } from '../fixtures/strict-input-app.js';
import { useCleanup } from '../support/cleanup.js';
import { startApp, type TestApp } from '../support/test-app.js';
import { TestClient } from '../support/ws-client.js';

/** JSON objects as the tests build and change them. */
type Json = { [key: string]: unknown };

/** A valid order: five DTO levels deep (Order → Level2 → Level3 in an array of arrays → Level4 → Leaf[]). */
function order(): Json {
  return {
    id: 'o-1',
    two: { grid: [[{ four: { n: 1, leaves: [{ value: 'a' }, { value: 'b' }, { value: 'c' }] }, at: '2026-12-02' }]] },
  };
}

/** The object at `path` (keys and array indexes) in `data`. */
function objectAt(data: Json, ...path: Array<string | number>): Json {
  let node: unknown = data;
  for (const step of path) node = (node as Record<string | number, unknown>)[step];
  return node as Json;
}

/** Level3 of the order's grid, and the Level4 and leaves under it. */
const LEVEL3 = ['two', 'grid', 0, 0];
const LEAVES = [...LEVEL3, 'four', 'leaves'];

const unknown = (path: string, key: string) => ({ path, messages: [`property ${key} should not exist`] });

describe('strict input: keys a DTO does not declare are refused, at any depth, with their paths', () => {
  const cleanup = useCleanup();
  let client: TestClient;

  async function start(strictInput?: boolean, broadcast = false): Promise<TestApp> {
    const t = cleanup.track(
      await startApp({
        imports: [
          SocketApiModule.forRoot({
            heartbeat: false,
            validation: strictInput === undefined ? {} : { strictInput },
            ...(broadcast ? { broadcast: {} } : {}),
          }),
        ],
        providers: [StrictInputService, UntypedService],
      }),
    );
    client = cleanup.track(await TestClient.open(t.url));
    return t;
  }

  async function act(channel: string, data: unknown): Promise<unknown> {
    client.send({ type: 'action', channel, data, id: 1 });
    return (await client.next())[0];
  }

  const refused = (channel: string, errors: unknown[]) => ({
    type: 'error',
    code: 'VALIDATION_ERROR',
    message: `Invalid parameters for action '${channel}'`,
    channel,
    id: 1,
    errors,
  });

  describe('on for the module', () => {
    beforeEach(() => start(true));

    it('valid input passes, nested DTOs and the Date built as without strict input', async () => {
      expect(await act('place', order())).toEqual({
        type: 'action',
        channel: 'place',
        id: 1,
        status: 'completed',
        data: 'placed o-1 with a date',
      });
    });

    it.each<[number, Array<string | number>, string]>([
      [1, [], 'extra'],
      [2, ['two'], 'two.extra'],
      [3, LEVEL3, 'two.grid.0.0.extra'],
      [4, [...LEVEL3, 'four'], 'two.grid.0.0.four.extra'],
      [5, [...LEAVES, 2], 'two.grid.0.0.four.leaves.2.extra'],
    ])('depth %i: the exact path', async (_depth, where, path) => {
      const data = order();
      objectAt(data, ...where).extra = 1;
      expect(await act('place', data)).toEqual(refused('place', [unknown(path, 'extra')]));
    });

    it('every unknown key at once, in the order of the data, then the validation errors of the same input', async () => {
      const data: Json = { a: 1, ...order() };
      (objectAt(data, 'two').grid as unknown[]).push([{}, { b: 2 }]);
      Object.assign(objectAt(data, ...LEAVES, 1), { value: 5, c: 3 });
      expect(await act('place', data)).toEqual(
        refused('place', [
          unknown('a', 'a'),
          unknown('two.grid.0.0.four.leaves.1.c', 'c'),
          unknown('two.grid.1.1.b', 'b'),
          { path: 'two.grid.0.0.four.leaves.1.value', messages: ['value must be a string'] },
        ]),
      );
    });

    it('5,000 unknown keys: the first 100 listed, and the message says how many there were', async () => {
      const data: Json = order();
      for (let i = 0; i < 5000; i++) data[`k${i}`] = 0;
      const reply = (await act('place', data)) as { message: string; errors: unknown[] };
      expect(reply).toEqual({
        ...refused(
          'place',
          Array.from({ length: 100 }, (_, i) => unknown(`k${i}`, `k${i}`)),
        ),
        message: "Invalid parameters for action 'place' (5000 errors, the first 100 listed)",
      });
      // Smaller than the frame that caused it.
      expect(JSON.stringify(reply).length).toBeLessThan(JSON.stringify(data).length);
    });

    it('100 unknown keys: all listed, the message as usual', async () => {
      const data: Json = order();
      for (let i = 0; i < 100; i++) data[`k${i}`] = 0;
      expect(await act('place', data)).toEqual(
        refused(
          'place',
          Array.from({ length: 100 }, (_, i) => unknown(`k${i}`, `k${i}`)),
        ),
      );
    });

    it("the docs' example: an extra key at each of the five levels, and a wrong value", async () => {
      const leaves = [{ value: 'a' }, { value: 5 }, { extra: 1, value: 'c' }];
      const data = { extra: 1, id: 'o-1', two: { extra: 1, grid: [[{ extra: 1, four: { extra: 1, n: 1, leaves } }]] } };
      expect(await act('place', data)).toEqual(
        refused('place', [
          unknown('extra', 'extra'),
          unknown('two.extra', 'extra'),
          unknown('two.grid.0.0.extra', 'extra'),
          unknown('two.grid.0.0.four.extra', 'extra'),
          unknown('two.grid.0.0.four.leaves.2.extra', 'extra'),
          { path: 'two.grid.0.0.four.leaves.1.value', messages: ['value must be a string'] },
        ]),
      );
    });

    it('the prototype keys are unknown keys too, at any depth', async () => {
      const text =
        '{"type":"action","channel":"place","id":1,"data":{"id":"o-1","__proto__":{"admin":true},' +
        '"two":{"grid":[],"constructor":{"prototype":1}}}}';
      client.socket.send(text);
      expect((await client.next())[0]).toEqual(
        refused('place', [unknown('__proto__', '__proto__'), unknown('two.constructor', 'constructor')]),
      );
    });

    it('a free-form map (no nested DTO) is not walked; an @OpenObject() DTO takes any key, its nested DTO stays strict', async () => {
      const data: Json = {
        ...order(),
        meta: { anything: { deep: [1, { x: 2 }] } },
        labels: { team: 't', color: 'red' },
      };
      expect(await act('place', data)).toEqual(
        expect.objectContaining({ type: 'action', data: 'placed o-1 with a date' }),
      );
      data.labels = { team: 't', color: 'red', leaf: { value: 'v', shade: 'dark' } };
      expect(await act('place', data)).toEqual(refused('place', [unknown('labels.leaf.shade', 'shade')]));
    });

    it('a handler turns it off for itself', async () => {
      expect(await act('place_lax', { ...order(), extra: 1 })).toEqual(
        expect.objectContaining({ type: 'action', data: 'placed o-1' }),
      );
    });

    it('@Data(name) parameters: keys no parameter reads are unknown, and the DTO under a name is walked from there', async () => {
      const data = { order: { ...order(), x: 1 }, note: 'n', other: true };
      expect(await act('annotate', data)).toEqual(
        refused('annotate', [unknown('other', 'other'), unknown('order.x', 'x')]),
      );
      expect(await act('annotate', { order: order(), note: 'n' })).toEqual(
        expect.objectContaining({ type: 'action', data: 'o-1: n' }),
      );
    });

    it('a whole data of type object is free-form', async () => {
      expect(await act('echo_any', { anything: 1 })).toEqual(expect.objectContaining({ data: { anything: 1 } }));
    });
  });

  describe('off for the module (the default)', () => {
    beforeEach(() => start());

    it('undeclared keys are kept, as before', async () => {
      expect(await act('place', { ...order(), extra: 1 })).toEqual(
        expect.objectContaining({ type: 'action', data: 'placed o-1 with a date' }),
      );
    });

    it('a handler turns it on for itself', async () => {
      const data = order();
      objectAt(data, ...LEAVES, 0).extra = 1;
      expect(await act('place_strict', data)).toEqual(
        refused('place_strict', [unknown('two.grid.0.0.four.leaves.0.extra', 'extra')]),
      );
    });

    it("a channel's subscribe data", async () => {
      client.send({ type: 'subscribe', channel: 'orders', data: { value: 'v', since: 3 }, id: 2 });
      expect(await client.next()).toEqual([
        {
          type: 'error',
          code: 'VALIDATION_ERROR',
          message: "Invalid parameters for channel 'orders'",
          channel: 'orders',
          id: 2,
          errors: [unknown('since', 'since')],
        },
      ]);
    });
  });

  it('a nested DTO without @Type is refused at its own path (it was reported as `leaf.undefined`)', async () => {
    await start();
    expect(await act('untyped', { leaf: { value: 'v' } })).toEqual(
      refused('untyped', [{ path: 'leaf', messages: ['an unknown value was passed to the validate function'] }]),
    );
  });

  it("a handler's strictInput that is not a boolean is a startup error naming the handler", async () => {
    @Injectable()
    class Misdeclared {
      @SocketAction('typo', { strictInput: 'yes' as unknown as boolean })
      typo(@Data() leaf: Leaf): string {
        return leaf.value;
      }
    }
    await expect(
      startApp({ imports: [SocketApiModule.forRoot({ heartbeat: false })], providers: [Misdeclared] }),
    ).rejects.toThrow('the strictInput option must be true or false.');
  });

  it('the HTTP bridge refuses the same keys as a subscribe', async () => {
    const t = await start(false, true);
    const url = `${t.url.replace('ws:', 'http:')}/_broadcast`;
    const post = async (data: unknown) => {
      const response = await fetch(url, {
        method: 'POST',
        headers: { 'content-type': 'application/json' },
        body: JSON.stringify({ channel: 'orders', data }),
      });
      return { status: response.status, body: await response.json() };
    };
    expect(await post({ value: 'v', since: 3 })).toEqual({
      status: 400,
      body: { error: "Invalid parameters for channel 'orders'", errors: [unknown('since', 'since')] },
    });
    expect(await post({ value: 'v' })).toEqual({ status: 200, body: { status: 'success' } });
  });
});

/** Items by a key the client chooses: the key is part of the path of every error under it. */
class Item {
  @IsString() name!: string;
}
class Catalog {
  @ValidateNested({ each: true }) @Type(() => Item) items!: Map<string, Item>;
}
@Injectable()
class CatalogService {
  @SocketAction('catalog', { strictInput: true })
  catalog(@Data() catalog: Catalog): number {
    return catalog.items.size;
  }
}

describe("a VALIDATION_ERROR is never much larger than the frame (paths the client's keys make long)", () => {
  const cleanup = useCleanup();

  it('one 10,000-character Map key over 100 unknown keys: at most 16,384 characters listed, each path cut', async () => {
    const t = cleanup.track(
      await startApp({ imports: [SocketApiModule.forRoot({ heartbeat: false })], providers: [CatalogService] }),
    );
    const client = cleanup.track(await TestClient.open(t.url));
    const key = 'k'.repeat(10_000);
    const item: Json = { name: 'n' };
    for (let i = 0; i < 100; i++) item[`x${i}`] = 0;
    const frame = JSON.stringify({ type: 'action', channel: 'catalog', data: { items: { [key]: item } }, id: 1 });
    client.send(frame);
    const [reply] = (await client.next()) as [{ message: string; errors: Array<{ path: string; messages: string[] }> }];
    expect(reply.message).toBe(
      `Invalid parameters for action 'catalog' (100 errors, the first ${reply.errors.length} listed)`,
    );
    expect(reply.errors.length).toBeGreaterThan(0);
    expect(reply.errors.length).toBeLessThan(100);
    for (const [i, error] of reply.errors.entries()) {
      expect(error.path).toBe(`items.${key.slice(0, 511 - 'items.'.length)}…`);
      expect(error.messages).toEqual([`property x${i} should not exist`]);
    }
    // Listed as they were, the 100 paths would have made a 1 MB answer to a 10 KB frame.
    expect(JSON.stringify(reply).length).toBeLessThan(20_000);
    expect(JSON.stringify(reply).length).toBeLessThan(frame.length * 2);
    // A valid one still works on the same connection.
    client.send({ type: 'action', channel: 'catalog', data: { items: { a: { name: 'x' } } }, id: 2 });
    expect(await client.next()).toEqual([{ type: 'action', channel: 'catalog', status: 'completed', data: 1, id: 2 }]);
  });
});
