// Jest's globalSetup: the tests run the library from its TypeScript source, which serves the docs
// page's bundle from dist/docs-ui/ (lib/docs/page-bundle.ts); built here so that it is never stale.
import { buildDocsUi } from '../../scripts/build-docs-ui.mjs';

export default async function buildDocsUiForTests() {
  await buildDocsUi();
}
