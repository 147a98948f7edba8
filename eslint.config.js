// ESLint (flat config): typescript-eslint's type-aware recommended rules on the TypeScript, ESLint's
// recommended rules on the plain JavaScript (bench, mutation, configs). Formatting is Prettier's job
// (`npm run format:check`), so no stylistic rule is enabled here.
import eslint from '@eslint/js';
import { defineConfig } from 'eslint/config';
import tseslint from 'typescript-eslint';

/** Node's globals, for the plain JavaScript files (TypeScript knows them from @types/node). */
const nodeGlobals = Object.fromEntries(
  [
    'AbortController',
    'AbortSignal',
    'Buffer',
    'URL',
    'URLSearchParams',
    'clearImmediate',
    'clearInterval',
    'clearTimeout',
    'console',
    'fetch',
    'performance',
    'process',
    'queueMicrotask',
    'setImmediate',
    'setInterval',
    'setTimeout',
    'structuredClone',
  ].map((name) => [name, 'readonly']),
);

export default defineConfig(
  {
    ignores: [
      'dist/',
      // The client package's build (npm run build -w client; its tarball test packs it).
      'client/dist/',
      'coverage/',
      'bench/results/',
      'reports/',
      '.stryker-tmp/',
      // The recipes are small apps of their own (package.json, tsconfig, jest or vitest config), built
      // and tested against the packed library by test/recipes.e2e.spec.ts; the root project cannot
      // resolve their dependencies and types, so type-aware rules would only report unresolved `any`s.
      'test/recipes/',
    ],
  },
  {
    linterOptions: { reportUnusedDisableDirectives: 'error' },
  },
  {
    files: ['**/*.{js,mjs,cjs}'],
    extends: [eslint.configs.recommended],
    languageOptions: { globals: nodeGlobals },
  },
  {
    files: ['**/*.cjs'],
    languageOptions: {
      sourceType: 'commonjs',
      globals: { require: 'readonly', module: 'writable', __dirname: 'readonly' },
    },
  },
  {
    files: ['**/*.ts'],
    extends: [eslint.configs.recommended, tseslint.configs.recommendedTypeChecked],
    languageOptions: {
      parserOptions: {
        projectService: { allowDefaultProject: ['jest.config.ts'] },
        tsconfigRootDir: import.meta.dirname,
      },
    },
    rules: {
      // Unused names are the compiler's error already (noUnusedLocals, noUnusedParameters), which
      // knows `_`-prefixed parameters and decorators' parameters the way this code writes them.
      '@typescript-eslint/no-unused-vars': 'off',
      eqeqeq: ['error', 'always', { null: 'ignore' }],
    },
  },
  {
    files: ['test/**/*.ts'],
    rules: {
      // Handlers, guards, pipes and authenticators are written `async` without an `await` on
      // purpose: the library must take the promise they return as well as a plain value.
      '@typescript-eslint/require-await': 'off',
      // Jest's asymmetric matchers (`expect.any(...)`, `expect.objectContaining(...)`) are typed
      // `any`, and so is what JSON.parse gives back from a frame: assigning or returning them is
      // what assertions on frames do.
      '@typescript-eslint/no-unsafe-assignment': 'off',
      '@typescript-eslint/no-unsafe-return': 'off',
    },
  },
  {
    // A library logs through Nest's Logger, never the console.
    files: ['lib/**/*.ts'],
    rules: {
      'no-console': 'error',
      // Node's global `Buffer` is an accessor: a getter call at every use, on hot paths too.
      'no-restricted-globals': [
        'error',
        { name: 'Buffer', message: "Import it: `import { Buffer } from 'node:buffer'` (the global is a getter)." },
      ],
    },
  },
);
