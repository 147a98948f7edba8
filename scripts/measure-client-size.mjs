// The client's size as a browser app ships it, next to socket.io-client's measured the same way in
// the same run (the README's figure): each entry, the smallest real use of its client (an action or
// an emit with acknowledgement, and a subscription or an event listener), bundled by esbuild for the
// browser (ESM, minified), then gzipped at level 9.
// `npm run size:client` prints a Markdown table; `--json` prints the numbers (test/client-package.e2e.spec.ts).
import { build } from 'esbuild';
import { createRequire } from 'node:module';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { gzipSync } from 'node:zlib';

const root = join(dirname(fileURLToPath(import.meta.url)), '..');
const SOCKET_IO_VERSION = createRequire(import.meta.url)('socket.io-client/package.json').version;

const CLIENT_ENTRY = `
import { SocketApiClient } from './client/src/index.ts';
const client = new SocketApiClient('wss://example.com/');
client.action('add_numbers', { a: 5, b: 3 }).then((sum) => console.log(sum));
client.subscribe('chat').subscribe((message) => console.log(message));
`;

const SOCKET_IO_ENTRY = `
import { io } from 'socket.io-client';
const socket = io('wss://example.com/');
socket.emit('add_numbers', { a: 5, b: 3 }, (sum) => console.log(sum));
socket.on('chat', (message) => console.log(message));
`;

const BUNDLES = [
  { name: 'nestjs-socketapi-client, rxjs external (the app has rxjs)', entry: CLIENT_ENTRY, external: ['rxjs'] },
  { name: 'nestjs-socketapi-client, the rxjs parts it uses bundled', entry: CLIENT_ENTRY, external: [] },
  {
    name: `socket.io-client ${SOCKET_IO_VERSION} (\`io\`, \`emit\` with ack, \`on\`)`,
    entry: SOCKET_IO_ENTRY,
    external: [],
  },
];

/** Minified and min+gzip bytes of one entry bundled for a browser. */
async function measure({ entry, external }) {
  const result = await build({
    stdin: { contents: entry, resolveDir: root, loader: 'ts', sourcefile: 'entry.ts' },
    bundle: true,
    minify: true,
    format: 'esm',
    platform: 'browser',
    external,
    legalComments: 'none',
    write: false,
    logLevel: 'warning',
  });
  const code = result.outputFiles[0].contents;
  return { minified: code.length, gzipped: gzipSync(code, { level: 9 }).length };
}

const rows = [];
for (const bundle of BUNDLES) rows.push({ name: bundle.name, ...(await measure(bundle)) });

if (process.argv.includes('--json')) {
  console.log(JSON.stringify(rows));
} else {
  const bytes = (count) => `${count.toLocaleString('en-US')} B`;
  console.log('| bundle | minified | min + gzip |');
  console.log('| --- | --- | --- |');
  for (const row of rows) console.log(`| ${row.name} | ${bytes(row.minified)} | ${bytes(row.gzipped)} |`);
}
