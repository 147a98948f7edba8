import { resolveHistoryLimits } from '../../lib/channels/history-limits.js';
import { MemoryHistoryStore } from '../../lib/channels/memory-history-store.js';
import type { HistoryLimits, StreamPosition } from '../../lib/interfaces/channel-stream.interface.js';

/*
 * The in-memory history store on its own, with a clock the test moves: offsets, the size and ttl
 * bounds, the meta's life (touch), and what it hands to the sink.
 */

const limits: HistoryLimits = { size: 3, ttlMs: 1000, metaTtlMs: 5000 };

function store() {
  const now = { ms: 1_000_000 };
  const stored: Array<[string, string, StreamPosition]> = [];
  const history = new MemoryHistoryStore({ stored: (...args) => stored.push(args) }, () => now.ms);
  return { history, stored, now };
}

describe('MemoryHistoryStore', () => {
  it('gives offsets +1 per channel, one epoch per stream, and hands each publication to the sink before resolving', async () => {
    const { history, stored } = store();
    const appended = history.append('a', '1', limits);
    expect(stored).toEqual([['a', '1', { offset: 1, epoch: expect.any(String) }]]);
    const first = await appended;
    const second = await history.append('a', '2', limits);
    const other = await history.append('b', '"x"', limits);
    expect([first.offset, second.offset, other.offset]).toEqual([1, 2, 1]);
    expect(second.epoch).toBe(first.epoch);
    expect(other.epoch).not.toBe(first.epoch);
    expect(first.epoch.startsWith(`${history.incarnation}.`)).toBe(true);
  });

  it('reads the top; with `since`, the publications after it while they are all kept (size)', async () => {
    const { history } = store();
    for (const data of ['1', '2', '3', '4', '5']) await history.append('a', data, limits);
    const { epoch } = await history.append('a', '6', limits);
    expect(await history.read('a', undefined, limits)).toEqual({
      top: { offset: 6, epoch },
      recovered: false,
      publications: [],
    });
    expect(await history.read('a', { offset: 3, epoch }, limits)).toEqual({
      top: { offset: 6, epoch },
      recovered: true,
      publications: [
        { offset: 4, data: '4' },
        { offset: 5, data: '5' },
        { offset: 6, data: '6' },
      ],
    });
    expect((await history.read('a', { offset: 2, epoch }, limits)).recovered).toBe(false);
    expect(await history.read('a', { offset: 6, epoch }, limits)).toEqual({
      top: { offset: 6, epoch },
      recovered: true,
      publications: [],
    });
  });

  it('keeps the last `size` over many publications (trimmed in batches)', async () => {
    const { history } = store();
    const big = { ...limits, size: 10 };
    let position: StreamPosition | undefined;
    for (let n = 1; n <= 5000; n++) position = await history.append('a', String(n), big);
    const read = await history.read('a', { offset: 4990, epoch: position!.epoch }, big);
    expect(read.publications.map((p) => p.offset)).toEqual([
      4991, 4992, 4993, 4994, 4995, 4996, 4997, 4998, 4999, 5000,
    ]);
    expect((await history.read('a', { offset: 4989, epoch: position!.epoch }, big)).recovered).toBe(false);
  });

  it('drops the entries ttl after the last publication, keeps top and epoch until metaTtl, then a new stream starts', async () => {
    const { history, now } = store();
    await history.append('a', '1', limits);
    const { epoch } = await history.append('a', '2', limits);
    now.ms += 1000;
    expect(await history.read('a', { offset: 1, epoch }, limits)).toMatchObject({
      recovered: false,
      top: { offset: 2, epoch },
    });
    expect((await history.read('a', { offset: 2, epoch }, limits)).recovered).toBe(true);
    const third = await history.append('a', '3', limits);
    expect(third).toEqual({ offset: 3, epoch });
    expect((await history.read('a', { offset: 2, epoch }, limits)).publications).toEqual([{ offset: 3, data: '3' }]);

    now.ms += 5000;
    const read = await history.read('a', { offset: 3, epoch }, limits);
    expect(read.recovered).toBe(false);
    expect(read.top.offset).toBe(0);
    const reborn = await history.append('a', '1', limits);
    expect(reborn.offset).toBe(1);
    expect(reborn.epoch).not.toBe(epoch);
  });

  it('touch keeps an existing meta alive, and creates none', async () => {
    const { history, now } = store();
    const { epoch } = await history.append('a', '1', limits);
    now.ms += 4000;
    await history.touch('a', limits);
    await history.touch('never-published', limits);
    now.ms += 4000;
    expect((await history.read('a', undefined, limits)).top).toEqual({ offset: 1, epoch });
    expect((await history.read('never-published', undefined, limits)).top).toEqual({
      offset: 0,
      epoch: `~${history.incarnation}~${now.ms.toString(36)}`,
    });
  });

  it('an empty channel answers an empty-stream token and keeps nothing for it', async () => {
    const { history, now } = store();
    const { top } = await history.read('quiet', undefined, limits);
    expect(top.offset).toBe(0);
    now.ms += 10;
    expect((await history.read('quiet', top, limits)).recovered).toBe(true);
    const { epoch } = await history.append('quiet', '1', limits);
    expect(await history.read('quiet', top, limits)).toEqual({
      top: { offset: 1, epoch },
      recovered: true,
      publications: [{ offset: 1, data: '1' }],
    });
    // Another store (a restarted process) does not know it.
    expect((await store().history.read('quiet', top, limits)).recovered).toBe(false);
  });
});

describe('resolveHistoryLimits', () => {
  it('resolves ttl and the metaTtl default', () => {
    expect(resolveHistoryLimits({ size: 1000, ttl: 300_000 })).toEqual({
      size: 1000,
      ttlMs: 300_000,
      metaTtlMs: 3_600_000,
    });
    expect(resolveHistoryLimits({ size: 1, ttl: 7_200_000 })).toEqual({
      size: 1,
      ttlMs: 7_200_000,
      metaTtlMs: 7_200_000,
    });
  });

  it.each([
    [{ size: 0, ttl: 1000 }, 'history.size must be an integer from 1 to 100000 (got 0).'],
    [{ size: 100_001, ttl: 1000 }, 'history.size must be an integer from 1 to 100000 (got 100001).'],
    [{ size: 1.5, ttl: 1000 }, 'history.size must be an integer from 1 to 100000 (got 1.5).'],
    [{ size: 10, ttl: 999 }, 'history.ttl must be an integer of at least 1000 ms (got 999).'],
    [{ size: 10, ttl: 5000, metaTtl: 4000 }, 'history.metaTtl must be an integer of at least history.ttl (got 4000).'],
  ])('refuses %j', (options, message) => {
    expect(() => resolveHistoryLimits(options)).toThrow(message);
  });
});
