// ESLint (flat config) with type-aware typescript-eslint rules. The type-aware rules are the ones that
// catch real bugs in this code base: a promise nobody awaits (a lost error or a race with process exit),
// a promise passed where a callback's result is ignored, and type-only imports that would otherwise be
// kept at run time. Formatting is Prettier's job (npm run format), not ESLint's.
import js from '@eslint/js';
import tseslint from 'typescript-eslint';

export default tseslint.config(
  {
    ignores: [
      'node_modules/**',
      'dist/**',
      'out/**',
      '.cache/**',
      '.vscode-test/**',
      'test/fixtures/**',
      'examples/**',
      '**/*.js',
      '**/*.mjs',
      '**/*.cjs',
    ],
  },
  js.configs.recommended,
  ...tseslint.configs.recommended,
  {
    files: ['**/*.ts'],
    languageOptions: {
      parserOptions: {
        // One project per world (node, extension host, webview DOM, VS Code tests); a file is checked
        // with the first project that includes it.
        project: [
          './tsconfig.json',
          './src/extension/tsconfig.json',
          './webview/tsconfig.json',
          './test/integration/tsconfig.json',
        ],
        tsconfigRootDir: import.meta.dirname,
      },
    },
    rules: {
      // node:test's test()/describe() return promises the runner itself awaits.
      '@typescript-eslint/no-floating-promises': [
        'error',
        {
          allowForKnownSafeCalls: [
            { from: 'package', package: 'node:test', name: ['test', 'describe', 'it', 'suite'] },
          ],
        },
      ],
      '@typescript-eslint/no-misused-promises': 'error',
      '@typescript-eslint/consistent-type-imports': ['error', { fixStyle: 'inline-type-imports' }],
      '@typescript-eslint/no-unused-vars': [
        'error',
        { argsIgnorePattern: '^_', varsIgnorePattern: '^_', caughtErrors: 'none' },
      ],
    },
  },
  {
    // Custom LSP messages are declared as `namespace X { method; type }`, the vscode-eslint pattern.
    files: ['src/shared/lspProtocol.ts'],
    rules: { '@typescript-eslint/no-namespace': 'off' },
  },
);
