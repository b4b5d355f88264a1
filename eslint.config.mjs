// @ts-check
import js from '@eslint/js';
import tseslint from 'typescript-eslint';

/** Layers that must stay pure: no VS Code API and no other layer's code. */
const engineRestrictions = {
  paths: [{ name: 'vscode', message: 'src/engine and src/protocol never import vscode (only src/extension does).' }],
  patterns: [
    { group: ['**/extension/**', '**/cli/**', '**/engineProcess/**', '**/webview/**'], message: 'src/engine is a lower layer: it imports none of these.' },
  ],
};

export default tseslint.config(
  { ignores: ['dist/**', 'out/**', 'node_modules/**', 'media/**', 'tools/train/**', '.mechlens-tmp/**', 'bench-results/**'] },
  js.configs.recommended,
  ...tseslint.configs.recommended,
  {
    languageOptions: { globals: { console: 'readonly', process: 'readonly', Buffer: 'readonly', performance: 'readonly' } },
    rules: {
      '@typescript-eslint/consistent-type-imports': ['error', { fixStyle: 'inline-type-imports' }],
      '@typescript-eslint/no-unused-vars': ['error', { argsIgnorePattern: '^_' }],
    },
  },
  { files: ['src/engine/**/*.ts', 'src/promptFile/**/*.ts'], rules: { 'no-restricted-imports': ['error', engineRestrictions] } },
  {
    files: ['src/protocol/**/*.ts'],
    rules: { 'no-restricted-imports': ['error', { patterns: [{ group: ['*', '!./*'], message: 'src/protocol imports nothing but itself.' }] }] },
  },
  {
    files: ['src/cli/**/*.ts'],
    rules: { 'no-restricted-imports': ['error', { paths: [{ name: 'vscode', message: 'The CLI runs without VS Code.' }] }] },
  },
  {
    files: ['bin/**/*.js'],
    languageOptions: { sourceType: 'commonjs', globals: { require: 'readonly', __dirname: 'readonly', __filename: 'readonly', module: 'writable' } },
    rules: { '@typescript-eslint/no-require-imports': 'off' },
  },
);
