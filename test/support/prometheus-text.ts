/**
 * A strict parser of Prometheus's text exposition format (0.0.4), for tests that check what a scrape
 * says: prom-client has none. Every line must be a `# HELP`, a `# TYPE` or a sample of a family
 * declared before it (empty lines between families allowed); names, label names, escapes and values
 * are checked; a series given twice, a TYPE after its samples or a sample of an undeclared family
 * throws, naming the line.
 */

export interface Sample {
  /** The sample's own name (`x_bucket`, `x_sum` for a histogram `x`). */
  name: string;
  labels: Record<string, string>;
  value: number;
}

export interface Family {
  help: string;
  type: 'counter' | 'gauge' | 'histogram' | 'summary' | 'untyped';
  samples: Sample[];
}

const METRIC_NAME = /^[a-zA-Z_:][a-zA-Z0-9_:]*$/;
const LABEL_NAME = /^[a-zA-Z_][a-zA-Z0-9_]*$/;
const TYPES = new Set(['counter', 'gauge', 'histogram', 'summary', 'untyped']);
const SUFFIXES: Record<Family['type'], string[]> = {
  counter: [''],
  gauge: [''],
  untyped: [''],
  histogram: ['_bucket', '_sum', '_count'],
  summary: ['', '_sum', '_count'],
};

export function parsePrometheusText(text: string): Map<string, Family> {
  if (!text.endsWith('\n')) throw new Error('the exposition does not end with a newline');
  const families = new Map<string, Family>();
  const series = new Set<string>();
  const lines = text.slice(0, -1).split('\n');
  lines.forEach((line, index) => {
    const fail = (why: string): never => {
      throw new Error(`line ${index + 1} (${JSON.stringify(line)}): ${why}`);
    };
    if (line === '') return;
    if (line.startsWith('#')) {
      const match = /^# (HELP|TYPE) (\S+) (.*)$/.exec(line);
      if (!match) return fail('a comment that is neither HELP nor TYPE');
      const [, keyword, name, rest] = match;
      if (!METRIC_NAME.test(name)) fail('bad metric name');
      const family = families.get(name);
      if (keyword === 'HELP') {
        if (family) fail('HELP after the family was declared');
        families.set(name, { help: unescape(rest, false, fail), type: 'untyped', samples: [] });
        return;
      }
      if (!TYPES.has(rest)) fail(`unknown type '${rest}'`);
      if (!family) families.set(name, { help: '', type: rest as Family['type'], samples: [] });
      else if (family.samples.length > 0 || family.type !== 'untyped') fail('TYPE given twice or after samples');
      else family.type = rest as Family['type'];
      return;
    }
    const sample = parseSample(line, fail);
    const family = familyOf(families, sample.name);
    if (!family) return fail(`a sample of no declared family`);
    const key = `${sample.name}{${Object.entries(sample.labels)
      .sort(([a], [b]) => a.localeCompare(b))
      .map(([name, value]) => `${name}=${JSON.stringify(value)}`)
      .join(',')}}`;
    if (series.has(key)) fail('a series given twice');
    series.add(key);
    family.samples.push(sample);
  });
  return families;
}

function familyOf(families: Map<string, Family>, sampleName: string): Family | undefined {
  for (const [name, family] of families) {
    for (const suffix of SUFFIXES[family.type]) if (sampleName === name + suffix) return family;
  }
  return undefined;
}

function parseSample(line: string, fail: (why: string) => never): Sample {
  const nameEnd = line.search(/[{ ]/);
  if (nameEnd <= 0) fail('no metric name');
  const name = line.slice(0, nameEnd);
  if (!METRIC_NAME.test(name)) fail('bad metric name');
  const labels: Record<string, string> = {};
  let at = nameEnd;
  if (line[at] === '{') {
    at++;
    while (line[at] !== '}') {
      const eq = line.indexOf('=', at);
      if (eq === -1) fail('a label without =');
      const label = line.slice(at, eq);
      if (!LABEL_NAME.test(label)) fail(`bad label name '${label}'`);
      if (label in labels) fail(`label '${label}' given twice`);
      if (line[eq + 1] !== '"') fail('a label value without quotes');
      let end = eq + 2;
      while (end < line.length && line[end] !== '"') end += line[end] === '\\' ? 2 : 1;
      if (end >= line.length) fail('an unterminated label value');
      labels[label] = unescape(line.slice(eq + 2, end), true, fail);
      at = end + 1;
      if (line[at] === ',') at++;
      else if (line[at] !== '}') fail('labels not separated by commas');
    }
    at++;
  }
  if (line[at] !== ' ') fail('no space before the value');
  const parts = line.slice(at + 1).split(' ');
  if (parts.length > 2) fail('more than a value and a timestamp');
  if (parts.length === 2 && !/^-?\d+$/.test(parts[1])) fail('a bad timestamp');
  return { name, labels, value: parseValue(parts[0], fail) };
}

function parseValue(text: string, fail: (why: string) => never): number {
  if (text === '+Inf') return Infinity;
  if (text === '-Inf') return -Infinity;
  if (text === 'NaN') return NaN;
  if (!/^[+-]?(\d+\.?\d*|\.\d+)([eE][+-]?\d+)?$/.test(text)) fail(`'${text}' is not a number`);
  return Number(text);
}

/** `\\`, `\n` (and in label values `\"`): the only escapes of the format. */
function unescape(text: string, quoted: boolean, fail: (why: string) => never): string {
  return text.replace(/\\(.?)/g, (_, next: string) => {
    if (next === '\\') return '\\';
    if (next === 'n') return '\n';
    if (next === '"' && quoted) return '"';
    return fail(`a bad escape '\\${next}'`);
  });
}

/** The value of the one sample of `name` with exactly these labels (undefined: none). */
export function valueOf(
  families: Map<string, Family>,
  name: string,
  labels: Record<string, string> = {},
): number | undefined {
  for (const family of families.values()) {
    for (const sample of family.samples) {
      if (sample.name !== name) continue;
      const keys = Object.keys(sample.labels);
      if (keys.length === Object.keys(labels).length && keys.every((key) => sample.labels[key] === labels[key])) {
        return sample.value;
      }
    }
  }
  return undefined;
}

/** Every series of the exposition. */
export function seriesCount(families: Map<string, Family>): number {
  let count = 0;
  for (const family of families.values()) count += family.samples.length;
  return count;
}
