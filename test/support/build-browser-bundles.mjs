// Jest's globalSetup: builds what the tests serve to browsers, so that it is never stale: the docs
// page's bundle (dist/docs-ui/, which the library running from its TypeScript source serves, see
// lib/docs/page-bundle.ts) and the sample page's (dist/sample-page/, served by sample/page.controller.ts).
import { buildDocsUi } from '../../scripts/build-docs-ui.mjs';
import { buildSamplePage } from '../../scripts/build-sample-page.mjs';

export default async function buildBrowserBundlesForTests() {
  await Promise.all([buildDocsUi(), buildSamplePage()]);
}
