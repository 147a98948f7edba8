import { readRemoteFrame } from '../../lib/channels/remote-frame.js';

function nested(levels: number): string {
  return '['.repeat(levels) + ']'.repeat(levels);
}

function publication(data: string): Buffer {
  return Buffer.from(`{"type":"data","channel":"feed","data":${data}}`);
}

describe('readRemoteFrame', () => {
  it('sends on a publication nested 1,000 levels deep, serialized again', () => {
    const remote = readRemoteFrame('feed', publication(nested(1000)));
    expect(remote?.frame.toString()).toBe(`{"type":"data","channel":"feed","data":${nested(1000)}}`);
  });

  it.each([1001, 20_000, 200_000])(
    'ignores one nested %i levels deep, whatever the Node version can serialize',
    (levels) => {
      expect(readRemoteFrame('feed', publication(nested(levels)))).toBeUndefined();
    },
  );
});
