import { readFileSync, readdirSync } from 'node:fs';
import { join } from 'node:path';

/** A markdown link or image target, with where it was written. */
export interface MarkdownLink {
  file: string;
  line: number;
  target: string;
}

/** A fenced code block that a `<!-- file: path -->` comment, on the line before it, says is a copy of that file. */
export interface CheckedBlock {
  file: string;
  line: number;
  path: string;
  code: string;
}

const FENCE = /^\s*(```|~~~)/;
const CHECKED = /^<!-- file: (\S+) -->$/;
// [text](target "title") and ![alt](target); the text may hold backticks but no brackets.
const INLINE_LINK = /!?\[[^\]]*\]\(\s*<?([^)\s>]+)>?(?:\s+"[^"]*")?\s*\)/g;
const REFERENCE_DEFINITION = /^\s{0,3}\[[^\]]+\]:\s*(\S+)/;
const INLINE_CODE = /`[^`]*`/g;

/** The markdown files a reader of the package meets: the README and every page of docs/. */
export function shippedMarkdown(root: string): string[] {
  const docs = readdirSync(join(root, 'docs')).filter((name) => name.endsWith('.md'));
  return ['README.md', 'PROTOCOL.md', 'CHANGELOG.md', ...docs.map((name) => `docs/${name}`)];
}

/** Every link of a markdown file outside code blocks and inline code. */
export function linksOf(root: string, file: string): MarkdownLink[] {
  const links: MarkdownLink[] = [];
  let inFence = false;
  readFileSync(join(root, file), 'utf8')
    .split('\n')
    .forEach((text, index) => {
      if (FENCE.test(text)) inFence = !inFence;
      if (inFence) return;
      const prose = text.replace(INLINE_CODE, '');
      for (const match of prose.matchAll(INLINE_LINK)) links.push({ file, line: index + 1, target: match[1] });
      const definition = REFERENCE_DEFINITION.exec(prose);
      if (definition) links.push({ file, line: index + 1, target: definition[1] });
    });
  return links;
}

/** GitHub's anchors of a markdown file's headings (`## Foo bar` → `foo-bar`, repeats get `-1`, `-2`...). */
export function anchorsOf(markdown: string): Set<string> {
  const anchors = new Set<string>();
  const seen = new Map<string, number>();
  let inFence = false;
  for (const line of markdown.split('\n')) {
    if (FENCE.test(line)) inFence = !inFence;
    const heading = inFence ? null : /^#{1,6}\s+(.*?)\s*#*\s*$/.exec(line);
    if (!heading) continue;
    const slug = heading[1]
      .toLowerCase()
      .replace(/[^\p{L}\p{N}\s_-]/gu, '')
      .replace(/\s/g, '-');
    const count = seen.get(slug) ?? 0;
    seen.set(slug, count + 1);
    anchors.add(count === 0 ? slug : `${slug}-${count}`);
  }
  return anchors;
}

/** The code blocks of a markdown file marked as copies of a repository file. */
export function checkedBlocksOf(root: string, file: string): CheckedBlock[] {
  const lines = readFileSync(join(root, file), 'utf8').split('\n');
  const blocks: CheckedBlock[] = [];
  lines.forEach((text, index) => {
    const marker = CHECKED.exec(text.trim());
    if (!marker) return;
    // Prettier puts a blank line between the comment and the block: blank lines may separate them.
    let open = index + 1;
    while (lines[open]?.trim() === '') open++;
    if (!FENCE.test(lines[open] ?? '')) {
      throw new Error(`${file}:${index + 1}: <!-- file: --> is not followed by a code block`);
    }
    const close = lines.findIndex((line, at) => at > open && FENCE.test(line));
    if (close < 0) throw new Error(`${file}:${open + 1}: unclosed code block`);
    blocks.push({ file, line: index + 1, path: marker[1], code: lines.slice(open + 1, close).join('\n') + '\n' });
  });
  return blocks;
}
