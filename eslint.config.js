// ESLint, type-aware: each environment is linted with its own tsconfig, and the
// design's import rules (shared design, "Folders") are a rule of this file,
// `layers/imports`, in the manner of VS Code's `local/code-layering`.
import { dirname, relative, resolve, sep } from 'node:path';
import { fileURLToPath } from 'node:url';
import js from '@eslint/js';
import tseslint from 'typescript-eslint';
import svelte from 'eslint-plugin-svelte';
import globals from 'globals';

const ROOT = dirname(fileURLToPath(import.meta.url));

/**
 * The layers, most specific first: for a file, the first whose folder holds it
 * says what it may import. `local` lists the folders (or files) of the
 * repository it may reach, `packages` the bare specifiers ('node:' for every
 * Node built-in). A layer without `packages` may import any package.
 */
const LAYERS = [
  { folder: 'app/node/', local: ['app/'], packages: ['node:'] },
  { folder: 'app/', local: ['app/'], not: ['app/node/'], packages: ['zod'] },
  // The protocol's types are zod inferences: a type-only import, erased before it runs.
  { folder: 'keyring/', local: ['keyring/', 'app/'], packages: ['openpgp', 'node:'], typePackages: ['zod'] },
  // The two places that start the keyring (its utilityProcess, its worker thread) take its client class;
  // the rest of main/ knows the keyring only by its interface, app/node/keyring-client.ts.
  { folder: 'main/electron/keyring-process.ts', local: ['main/', 'app/', 'keyring/client.ts', 'package.json'] },
  { folder: 'main/keyring-host/', local: ['main/', 'app/', 'keyring/client.ts', 'package.json'], notPackages: ['electron'] },
  // The only places that import electron (design: "main/electron/ and main/preload/").
  { folder: 'main/electron/', local: ['main/', 'app/', 'package.json'] },
  { folder: 'main/preload/', local: ['main/', 'app/', 'package.json'] },
  { folder: 'main/', local: ['main/', 'app/', 'package.json'], notPackages: ['electron'] },
  // dompurify sanitizes HTML mail before the reader's sandboxed frame shows it; qrcode encodes the key details' fingerprint QR code.
  { folder: 'renderer/src/', local: ['renderer/src/', 'app/'], not: ['app/node/'], packages: ['svelte', 'zod', 'dompurify', 'qrcode'] },
];

function packageName(specifier) {
  if (specifier.startsWith('node:')) return 'node:';
  const parts = specifier.split('/');
  return specifier.startsWith('@') ? `${parts[0]}/${parts[1]}` : parts[0];
}

function within(path, entry) {
  return entry.endsWith('/') ? path.startsWith(entry) : path === entry;
}

/** Why `specifier` may not be imported from `file` (posix, relative to the root), or null when it may. */
export function layerViolation(file, specifier, typeOnly = false) {
  const layer = LAYERS.find((l) => file.startsWith(l.folder));
  if (!layer) return null;
  const name = layer.folder.replace(/\/$/, '');
  if (specifier.startsWith('.') || specifier.startsWith('/')) {
    const target = relative(ROOT, resolve(ROOT, dirname(file), specifier))
      .split(sep)
      .join('/');
    if (layer.not?.some((e) => within(target, e))) return `${name}/ may not import ${target}`;
    return layer.local.some((e) => within(target, e)) ? null : `${name}/ imports only ${layer.local.join(', ')}: not ${target}`;
  }
  const pkg = packageName(specifier);
  if (layer.notPackages?.includes(pkg)) return `only main/electron and main/preload import ${pkg}`;
  if (!layer.packages || layer.packages.includes(pkg) || (typeOnly && layer.typePackages?.includes(pkg))) return null;
  return `${name}/ imports only the packages ${layer.packages.join(', ')}: not ${specifier}`;
}

const layersPlugin = {
  rules: {
    imports: {
      meta: { type: 'problem', schema: [], messages: { layer: '{{why}} (design, "Folders")' } },
      create(context) {
        const file = relative(ROOT, context.filename).split(sep).join('/');
        const check = (node, typeOnly = false) => {
          if (!node || node.type !== 'Literal' || typeof node.value !== 'string') return;
          const why = layerViolation(file, node.value, typeOnly);
          if (why) context.report({ node, messageId: 'layer', data: { why } });
        };
        return {
          ImportDeclaration: (n) => check(n.source, n.importKind === 'type'),
          ExportNamedDeclaration: (n) => check(n.source, n.exportKind === 'type'),
          ExportAllDeclaration: (n) => check(n.source, n.exportKind === 'type'),
          ImportExpression: (n) => check(n.source),
          TSImportType: (n) => check(n.argument?.literal ?? n.argument, true),
          CallExpression: (n) => {
            if (n.callee.type === 'Identifier' && n.callee.name === 'require') check(n.arguments[0]);
          },
        };
      },
    },
  },
};

const typed = (project) => ({ parserOptions: { project, tsconfigRootDir: ROOT, extraFileExtensions: ['.svelte'] } });

export default tseslint.config(
  { ignores: ['node_modules/', 'dist/', 'release/', 'test-artifacts/', 'test-results/', 'test/fixtures/'] },
  js.configs.recommended,
  ...tseslint.configs.recommendedTypeChecked,
  ...svelte.configs['flat/recommended'],
  {
    plugins: { layers: layersPlugin },
    linterOptions: { reportUnusedDisableDirectives: 'error' },
    rules: {
      'layers/imports': 'error',
      // node:test's test() and describe() return promises the runner itself awaits.
      '@typescript-eslint/no-floating-promises': [
        'error',
        {
          allowForKnownSafeCalls: [{ from: 'package', package: 'node:test', name: ['test', 'describe', 'it', 'suite', 'before', 'after'] }],
        },
      ],
      '@typescript-eslint/no-misused-promises': 'error',
      // `typeof import('…')` stays allowed: it types a module loaded lazily (node:sqlite, the renderer bundle).
      '@typescript-eslint/consistent-type-imports': ['error', { fixStyle: 'inline-type-imports', disallowTypeAnnotations: false }],
      // The state classes keep plain Sets and Maps as working values and replace them whole when state changes.
      'svelte/prefer-svelte-reactivity': 'off',
      // Forwarding a caught or received value as a rejection is allowed, as `throw e` is.
      '@typescript-eslint/prefer-promise-reject-errors': ['error', { allowThrowingUnknown: true }],
      // Async functions that implement a Promise-returning interface without awaiting anything are the norm here.
      '@typescript-eslint/require-await': 'off',
      // Mail and armor parsing match control characters on purpose (CR, LF, NUL, C0 in headers).
      'no-control-regex': 'off',
      '@typescript-eslint/no-unused-vars': ['error', { argsIgnorePattern: '^_', varsIgnorePattern: '^_', caughtErrors: 'none' }],
    },
  },
  { files: ['**/*.js', '**/*.mjs'], ...tseslint.configs.disableTypeChecked },
  { files: ['**/*.js', '**/*.mjs'], languageOptions: { globals: globals.node } },
  {
    files: ['main/**/*.ts', 'keyring/**/*.ts', 'app/node/**/*.ts', 'build/**/*.ts', 'test/**/*.ts', 'renderer/vite.config.ts'],
    languageOptions: { globals: globals.node, ...typed('./tsconfig.json') },
  },
  { files: ['app/**/*.ts'], ignores: ['app/node/**'], languageOptions: typed('./tsconfig.app.json') },
  {
    files: [
      'test/renderer/**/*.ts',
      'test/e2e/**/*.ts',
      'test/support/renderer/**/*.ts',
      'test/support/host/**/*.ts',
      'test/support/browser.ts',
    ],
    languageOptions: { globals: { ...globals.node, ...globals.browser }, ...typed('./tsconfig.test-browser.json') },
  },
  {
    files: ['renderer/src/**/*.ts', 'renderer/src/**/*.svelte'],
    languageOptions: { globals: globals.browser, ...typed('./tsconfig.renderer.json') },
  },
  { files: ['**/*.svelte', '**/*.svelte.ts'], languageOptions: { parserOptions: { parser: tseslint.parser } } },
  {
    // openpgp's declarations type its streams with @openpgp/web-stream-tools, which does not resolve here, so its
    // stream values read as error-typed; and its enums are plain objects of numbers, not TypeScript enums.
    files: ['keyring/operations.ts', 'keyring/parse-keys.ts'],
    rules: {
      '@typescript-eslint/no-unsafe-assignment': 'off',
      '@typescript-eslint/no-unsafe-argument': 'off',
      '@typescript-eslint/no-unsafe-enum-comparison': 'off',
    },
  },
  {
    // Tests probe untyped values on purpose (JSON from the command line, peers' output, mocks, thrown non-errors):
    // typing each would be a rewrite of the suite for no gain in what it checks.
    files: ['test/**/*.ts'],
    rules: {
      '@typescript-eslint/no-unsafe-member-access': 'off',
      '@typescript-eslint/no-unsafe-assignment': 'off',
      '@typescript-eslint/no-unsafe-argument': 'off',
      '@typescript-eslint/no-unsafe-call': 'off',
      '@typescript-eslint/no-unsafe-return': 'off',
      '@typescript-eslint/no-unsafe-function-type': 'off',
      '@typescript-eslint/no-explicit-any': 'off',
      '@typescript-eslint/only-throw-error': 'off',
      // assert.rejects(obj.method) and mocks pass methods around without calling them on their object.
      '@typescript-eslint/unbound-method': 'off',
    },
  },
);
