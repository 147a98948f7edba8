import { existsSync, readFileSync } from 'node:fs';
import { dirname, join, normalize, relative, resolve } from 'node:path';
import { anchorsOf, linksOf, shippedMarkdown } from '../support/markdown.js';

// The README and docs/ are read on the registry's page and in node_modules, away from the repository:
// a relative link there only works if it points at a file the package ships, and nothing may point at
// a repository URL (the package has none).
const root = resolve('.');
const shipped: string[] = (JSON.parse(readFileSync(join(root, 'package.json'), 'utf8')) as { files: string[] }).files;
const isShipped = (path: string) =>
  ['package.json', 'LICENSE'].includes(path) || shipped.some((entry) => path === entry || path.startsWith(`${entry}/`));
const anchorsByFile = new Map<string, Set<string>>();
const anchorsIn = (file: string) => {
  if (!anchorsByFile.has(file)) anchorsByFile.set(file, anchorsOf(readFileSync(join(root, file), 'utf8')));
  return anchorsByFile.get(file)!;
};

/** What is wrong with a link, or undefined when a reader of the installed package can follow it. */
function problemOf(file: string, target: string): string | undefined {
  if (/^(https?:|mailto:)/.test(target)) return undefined;
  if (/^[a-z][a-z0-9+.-]*:/i.test(target) || target.startsWith('/')) return 'not a relative link';
  const [path, anchor] = target.split('#', 2);
  const into = path === '' ? file : normalize(relative(root, resolve(root, dirname(file), decodeURI(path))));
  if (into.startsWith('..')) return 'points outside the package';
  if (!existsSync(join(root, into))) return `${into} does not exist`;
  if (!isShipped(into)) return `${into} is not shipped (package.json "files")`;
  if (anchor !== undefined && into.endsWith('.md') && !anchorsIn(into).has(anchor))
    return `${into} has no heading #${anchor}`;
  return undefined;
}

describe('links in the shipped markdown', () => {
  const files = shippedMarkdown(root);

  it('covers the README and at least one page of docs/', () => {
    expect(files).toContain('README.md');
    expect(files.some((file) => file.startsWith('docs/'))).toBe(true);
  });

  it('ships every markdown file a link may lead to', () => {
    expect(files.filter((file) => !isShipped(file))).toEqual([]);
  });

  it.each(files)('%s: every relative link points at a shipped file and an existing heading', (file) => {
    const broken = linksOf(root, file)
      .map((link) => ({ link, problem: problemOf(file, link.target) }))
      .filter(({ problem }) => problem !== undefined)
      .map(({ link, problem }) => `${link.file}:${link.line} (${link.target}): ${problem}`);
    expect(broken).toEqual([]);
  });
});
