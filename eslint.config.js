// Lint: typescript-eslint's recommended rules, no focused tests, no import cycles.
import js from '@eslint/js';
import tseslint from 'typescript-eslint';
import { importX } from 'eslint-plugin-import-x';

const focused = ['describe', 'it', 'test', 'suite'].map((object) => ({
  object,
  property: 'only',
  message: 'Focused tests (.only) must not be committed.',
}));

export default tseslint.config(
  {
    // test/fixtures/lint holds deliberate violations that test/src/lint.test.ts checks.
    ignores: ['**/node_modules/**', '**/dist/**', 'libs/proto/src/gen/**', '.sandbox/**', '**/*.d.ts', 'test/fixtures/**'],
  },
  js.configs.recommended,
  ...tseslint.configs.recommended,
  {
    files: ['**/*.ts'],
    plugins: { 'import-x': importX },
    languageOptions: {
      parserOptions: { projectService: false },
    },
    settings: {
      'import-x/extensions': ['.ts', '.js', '.mjs'],
      'import-x/parsers': { '@typescript-eslint/parser': ['.ts'] },
      'import-x/resolver-next': [
        importX.createNodeResolver({
          conditionNames: ['source', 'types', 'import', 'default'],
          extensions: ['.ts', '.js'],
          // NodeNext sources import './x.js' for './x.ts'.
          extensionAlias: { '.js': ['.ts', '.js'] },
        }),
      ],
    },
    rules: {
      'import-x/no-cycle': ['error', { ignoreExternal: false }],
      'no-restricted-properties': ['error', ...focused],
      '@typescript-eslint/no-unused-vars': ['error', { argsIgnorePattern: '^_', varsIgnorePattern: '^_' }],
      '@typescript-eslint/consistent-type-imports': 'error',
    },
  },
  {
    files: ['**/*.mjs', '**/*.js'],
    languageOptions: { globals: { process: 'readonly', console: 'readonly', URL: 'readonly', Buffer: 'readonly', setTimeout: 'readonly', clearTimeout: 'readonly', fetch: 'readonly', performance: 'readonly' } },
    rules: { 'no-restricted-properties': ['error', ...focused] },
  },
);
