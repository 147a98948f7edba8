import { Buffer } from 'node:buffer';
import type { PageAsset, PageBundle } from './page-bundle.js';
import { asset } from './page-bundle.js';

const ESCAPES: Record<string, string> = { '&': '&amp;', '<': '&lt;', '>': '&gt;', '"': '&quot;', "'": '&#39;' };

function escapeHtml(text: string): string {
  return text.replace(/[&<>"']/g, (character) => ESCAPES[character]);
}

/**
 * The page's HTML: a shell that loads the bundle and says where the document is. It holds nothing
 * about the app's API (not even `docs.title`: the script sets the title from the document), so it can
 * be public when the document is behind `docs.token`; no inline script or style, for the CSP. The
 * assets' URLs carry their content hash so that a browser never runs a script with a stale style sheet.
 */
export function pageShell(base: string, bundle: PageBundle | undefined): PageAsset {
  const version = (file: PageAsset | undefined) => (file ? `?v=${encodeURIComponent(file.etag.slice(1, 13))}` : '');
  const html = `<!doctype html>
<html lang="en">
<head>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<meta name="referrer" content="no-referrer">
<title>Socket docs</title>
<link rel="icon" href="data:,">
<link rel="stylesheet" href="${escapeHtml(`${base}/app.css${version(bundle?.style)}`)}">
<script type="module" src="${escapeHtml(`${base}/app.js${version(bundle?.script)}`)}"></script>
</head>
<body>
<div id="app" data-document="${escapeHtml(`${base}/asyncapi.json`)}"><p class="boot">Loading the socket docs… (this page needs JavaScript)</p></div>
</body>
</html>
`;
  return asset(Buffer.from(html, 'utf8'), 'text/html; charset=utf-8');
}
