import { readFileSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { checkedBlocksOf, shippedMarkdown } from '../support/markdown.js';

// Code the docs show as a file's content (`<!-- file: path -->` before the block) is that file, as
// the recipe apps under test/recipes/ run it: test/recipes.e2e.spec.ts and
// test/client-snippets.e2e.spec.ts prove the files, this proves the docs still show them.
const root = resolve('.');
const blocks = shippedMarkdown(root).flatMap((file) => checkedBlocksOf(root, file));

describe('code blocks of the docs that are files of the recipes', () => {
  it('include the example test, both runner configurations and the client snippets', () => {
    const paths = new Set(blocks.map((block) => block.path));
    for (const path of [
      'test/recipes/vitest-esm/test/app.e2e-spec.ts',
      'test/recipes/vitest-esm/vitest.config.e2e.ts',
      'test/recipes/jest-cjs/test/jest-e2e.json',
      'test/recipes/client/client.mjs',
      'test/recipes/client/minimal.mjs',
    ]) {
      expect(paths).toContain(path);
    }
  });

  it.each(blocks.map((block) => [`${block.file}:${block.line} ${block.path}`, block] as const))(
    '%s is the file, to the character',
    (_, block) => {
      expect(block.code).toBe(readFileSync(join(root, block.path), 'utf8'));
    },
  );
});
